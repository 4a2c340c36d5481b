"""asv benchmarks of the processing cases (defined once in ``cases_processing.py``)."""

from .case import asv_benchmarks
from .cases_processing import cases

globals().update(asv_benchmarks(cases))
