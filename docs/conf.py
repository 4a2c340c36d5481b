"""Sphinx configuration for the fasttopo documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "fasttopo"
author = "fasttopo developers"
copyright = "2026, fasttopo developers"
release = __import__("fasttopo").__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
plot_include_source = True
plot_html_show_source_link = False
plot_formats = [("png", 90)]
templates_path = []
exclude_patterns = ["_build", "examples/tables"]   # included by the gallery pages
html_theme = "alabaster"
autodoc_mock_imports = ["torch"] if os.environ.get("FASTTOPO_DOCS_NO_TORCH") else []
