"""Load a script of docs/examples as a module (the tests run their --quick modes)."""

import importlib.util
import pathlib

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "docs" / "examples"


def load_example(name):
    """The module ``docs/examples/<name>.py``, executed once per call."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
