"""asv benchmarks of the toolbox cases (defined once in ``cases_toolbox.py``)."""

from .case import asv_benchmarks
from .cases_toolbox import cases

globals().update(asv_benchmarks(cases))
