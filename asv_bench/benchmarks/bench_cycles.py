"""asv benchmarks of the representative-cycle cases (defined once in ``cases_cycles.py``)."""

from .case import asv_benchmarks
from .cases_cycles import cases

globals().update(asv_benchmarks(cases))
