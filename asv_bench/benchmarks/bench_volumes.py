"""asv benchmarks of the volumes cases (defined once in ``cases_volumes.py``)."""

from .case import asv_benchmarks
from .cases_volumes import cases

globals().update(asv_benchmarks(cases))
