"""asv benchmarks of the Betti matching cases (defined once in ``cases_betti.py``)."""

from .case import asv_benchmarks
from .cases_betti import cases

globals().update(asv_benchmarks(cases))
