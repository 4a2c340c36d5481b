"""Build script: the compiled (Cython) extensions of fasttopo.

Metadata lives in pyproject.toml; this file only declares the extension
modules, which are compiled from the ``fasttopo/**/*.pyx`` sources.
"""

import glob
import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

sources = sorted(glob.glob(os.path.join("fasttopo", "**", "*.pyx"), recursive=True))
extensions = [
    Extension(
        os.path.splitext(src)[0].replace(os.sep, "."),
        [src],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    )
    for src in sources
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
)
