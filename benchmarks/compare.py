"""Print fasttopo's time / a peer's time, measured in one process, for every target.

Usage::

    python benchmarks/compare.py              # all groups
    python benchmarks/compare.py engine nn    # some groups (files cases_<group>.py)
    python benchmarks/compare.py --repeat 15

Each ``benchmarks/cases_<group>.py`` defines ``cases()`` returning a list of
``Case``.  The two functions of a case are timed alternately (ours, peer,
ours, peer, ...) so that both see the same machine load; the minimum of
each is kept and the ratio peer / ours is printed with the target.
"""

import argparse
import importlib.util
import pathlib
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

HERE = pathlib.Path(__file__).resolve().parent


@dataclass
class Case:
    name: str
    ours: Callable[[], object]
    peer: Optional[Callable[[], object]] = None
    peer_name: str = ""
    target: str = ""          # e.g. ">= 8x" or "<= 3.5 ms"
    min_ratio: Optional[float] = None
    max_ms: Optional[float] = None
    repeat: Optional[int] = None
    extra: dict = field(default_factory=dict)


@dataclass
class Measure:
    """A measurement computed by the case itself (memory, cold start...)."""
    name: str
    run: Callable[[], str]


def _time(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_case(case, repeat):
    case.ours()
    if case.peer is not None:
        case.peer()
    repeat = case.repeat or repeat
    ours, peer = [], []
    for _ in range(repeat):
        ours.append(_time(case.ours))
        if case.peer is not None:
            peer.append(_time(case.peer))
    t_ours = min(ours) * 1e3
    line = f"{case.name:<58} ours {t_ours:9.2f} ms"
    ok = True
    if case.peer is not None:
        t_peer = min(peer) * 1e3
        ratio = t_peer / t_ours
        line += f"   {case.peer_name:<22} {t_peer:9.2f} ms   ratio {ratio:6.2f}x"
        if case.min_ratio is not None:
            ok &= ratio >= case.min_ratio
    if case.max_ms is not None:
        ok &= t_ours <= case.max_ms
    if case.target:
        line += f"   target {case.target:<10} {'ok' if ok else 'MISSED'}"
    return line


def groups():
    return sorted(p.stem[len("cases_"):] for p in HERE.glob("cases_*.py"))


def load(group):
    path = HERE / f"cases_{group}.py"
    spec = importlib.util.spec_from_file_location(f"cases_{group}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"groups to run (default all: {groups()})")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    for group in args.groups or groups():
        print(f"== {group}")
        for case in load(group).cases():
            if hasattr(case, "run"):  # a Measure (compare may be loaded twice)
                print(f"{case.name:<58} {case.run()}", flush=True)
            else:
                print(run_case(case, args.repeat), flush=True)


if __name__ == "__main__":
    main()
