"""asv benchmarks of the engine cases (defined once in ``cases_engine.py``)."""

from .case import asv_benchmarks
from .cases_engine import cases

globals().update(asv_benchmarks(cases))
