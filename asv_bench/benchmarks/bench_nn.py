"""asv benchmarks of the nn cases (defined once in ``cases_nn.py``)."""

from .case import asv_benchmarks
from .cases_nn import cases

globals().update(asv_benchmarks(cases))
