"""Print fasttopo's time / a peer's time, measured in one process, for every target.

Usage::

    python asv_bench/compare.py              # all groups
    python asv_bench/compare.py engine nn    # some groups (files cases_<group>.py)
    python asv_bench/compare.py --repeat 15

Each ``asv_bench/benchmarks/cases_<group>.py`` defines ``cases()`` returning a
list of ``Case`` (the same cases the asv suite runs, see ``benchmarks/case.py``).
The two functions of a case are timed alternately (ours, peer,
ours, peer, ...) so that both see the same machine load; the minimum of
each is kept and the ratio peer / ours is printed with the target.
"""

import argparse
import importlib
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent


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
    return sorted(p.stem[len("cases_"):] for p in (HERE / "benchmarks").glob("cases_*.py"))


def load(group):
    return importlib.import_module(f"benchmarks.cases_{group}")


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
