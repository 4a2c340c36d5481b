"""Load a script of docs/examples as a module (the tests run their --quick modes)."""

import importlib.util
import pathlib
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "docs" / "examples"
if str(EXAMPLES) not in sys.path:   # the scripts import their helper _gallery, as when run
    sys.path.insert(0, str(EXAMPLES))


def load_example(name):
    """The module ``docs/examples/<name>.py``, executed once per call."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def written_tables(monkeypatch, tmp_path):
    """Send the tables the scripts write (``--write``) to ``tmp_path`` instead of the docs."""
    import _gallery

    monkeypatch.setattr(_gallery, "TABLES", tmp_path)
    return tmp_path


def assert_page_table(written, name):
    """The table file ``name`` written by a run equals the one the page includes."""
    produced = (written / f"{name}.rst").read_text()
    committed = (EXAMPLES / "tables" / f"{name}.rst").read_text()
    assert produced == committed, (
        f"docs/examples/tables/{name}.rst is not what its command gives now; rerun the command "
        f"written at its top (with --write) and commit the file\n--- page:\n{committed}\n"
        f"--- script:\n{produced}")
