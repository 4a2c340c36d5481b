"""The benchmark cases' types, shared by the asv suite and ``asv_bench/compare.py``.

Every case is written once, in ``asv_bench/benchmarks/cases_<group>.py``
(``cases()`` returns a list of ``Case`` and ``Measure``): ``compare.py``
times ours against the peer alternately in one process and prints the
ratio; ``bench_<group>.py`` turns the same cases into asv benchmarks
(``time_fasttopo`` and ``time_<peer>`` of one class per case).
"""

import pathlib
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

__all__ = ["Case", "Measure", "asv_benchmarks", "DATA", "data_dir"]


def data_dir(root):
    """The project's real volumes: ``../shared/data`` from the repository ``root``, or
    from the main checkout's parent for a worktree one level further down."""
    root = pathlib.Path(root).resolve()
    candidates = (root.parent / "shared" / "data", root.parent.parent / "shared" / "data")
    return next((p for p in candidates if p.exists()), candidates[0])


DATA = data_dir(pathlib.Path(__file__).resolve().parents[2])


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


def _slug(text):
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def asv_benchmarks(cases):
    """asv benchmark classes, one per ``Case`` of ``cases()`` (``Measure`` s are left out).

    Returns a dict name -> class to put into the benchmark module's globals.
    """
    out = {}
    for index, case in enumerate(c for c in cases() if isinstance(c, Case)):
        def setup(self, index=index):
            self.case = [c for c in cases() if isinstance(c, Case)][index]
            self.case.ours()
            if self.case.peer is not None:
                self.case.peer()

        body = {"setup": setup, "pretty_name": case.name, "timeout": 600,
                "time_fasttopo": lambda self: self.case.ours()}
        if case.peer is not None:
            body["time_" + _slug(case.peer_name or "peer")] = lambda self: self.case.peer()
        name = "Case_" + _slug(case.name)
        out[name] = type(name, (), body)
    return out
