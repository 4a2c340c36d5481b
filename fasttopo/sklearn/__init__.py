"""scikit-learn estimators: from images to a classifier in one Pipeline.

Thin estimators around fasttopo's public functions, so that persistence,
its vectorisations and diagram distances go into a
:class:`sklearn.pipeline.Pipeline`, a :class:`~sklearn.pipeline.FeatureUnion`
or a :class:`~sklearn.model_selection.GridSearchCV` like any transformer:

* images -> images: :class:`HeightFiltration`, :class:`RadialFiltration`;
* images -> diagrams: :class:`CubicalPersistence` (a list of
  :class:`~fasttopo.PersistenceDiagram`);
* diagrams -> ``(n, features)`` arrays: :class:`PersistenceImage`,
  :class:`BettiCurve`, :class:`PersistenceLandscape`,
  :class:`DiagramHistogram`, :class:`DiagramCodes`;
* diagrams -> ``(n, n_fit)`` distances or kernel values to the training
  diagrams: :class:`DiagramDistance`, for
  ``KNeighborsClassifier(metric="precomputed")`` and
  ``SVC(kernel="precomputed")``.

They follow scikit-learn's rules: ``__init__`` stores its parameters as
given, ``fit`` validates them (errors name the parameter and its value),
fitted attributes end with ``_``, ``fit_transform(X)`` equals
``fit(X).transform(X)``, and ``n_jobs`` has fasttopo's meaning (None or -1:
all cores).  Images are a ``(n, ...)`` array stacking equally-shaped 1D, 2D
or 3D images, or a list of images; a 2D array ``(n_samples, n_features)``
is a stack of 1D signals.  Diagrams are a list of PersistenceDiagram (or of
``(k, 2)`` arrays of (birth, death)).

``set_output(transform="pandas")`` gives DataFrames for the estimators
whose output is an ``(n, features)`` array; the image and diagram steps
accept ``set_output`` (so that ``Pipeline.set_output`` reaches the
vectoriser) and return their images and diagrams as they are.

scikit-learn's ``check_estimator`` passes for the estimators whose input is
an array (:class:`HeightFiltration`, :class:`RadialFiltration`,
:class:`CubicalPersistence`) except the checks that cannot apply to images
or to a list of diagrams; each class lists them, with the reason, in its
``_sklearn_expected_failed_checks()``, the dict to give
``check_estimator(..., expected_failed_checks=...)``.

Needs scikit-learn >= 1.6, the ``ml`` extra (``pip install "fasttopo[ml]"``).

References
----------
.. [1] G. Tauzin, U. Lupo, L. Tunstall, J. B. Pérez, M. Caorsi,
   A. M. Medina-Mardones, A. Dassatti, K. Hess, "giotto-tda: A topological
   data analysis toolkit for machine learning and data exploration", Journal
   of Machine Learning Research 22(39), 1-6, 2021.
   https://jmlr.org/papers/v22/20-325.html
"""


from .._validation import require

_sklearn = require("sklearn", "fasttopo.sklearn")
if tuple(int(part) for part in _sklearn.__version__.split(".")[:2]) < (1, 6):
    raise ImportError(f"fasttopo.sklearn needs scikit-learn >= 1.6, found "
                      f"{_sklearn.__version__}: pip install \"fasttopo[ml]\"")

from ._distances import DiagramCodes, DiagramDistance  # noqa: E402
from ._images import CubicalPersistence, HeightFiltration, RadialFiltration  # noqa: E402
from ._vectorizers import (BettiCurve, DiagramHistogram, PersistenceImage,  # noqa: E402
                           PersistenceLandscape)

__all__ = ["HeightFiltration", "RadialFiltration", "CubicalPersistence", "PersistenceImage",
           "BettiCurve", "PersistenceLandscape", "DiagramHistogram", "DiagramCodes",
           "DiagramDistance"]
