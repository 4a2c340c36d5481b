"""The README's code runs as written, and its set-up commands are the ones CI runs."""

import pathlib
import re
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


PYTHON = _blocks("python")


def test_readme_has_python_blocks():
    assert len(PYTHON) >= 2


@pytest.mark.parametrize("index", range(len(PYTHON)))
def test_readme_python_block_runs(index, capsys):
    code = PYTHON[index]
    if re.search(r"^(import torch|from fasttopo\.nn|import fasttopo\.nn)", code, flags=re.M):
        pytest.importorskip("torch")
    exec(compile(code, f"README.md python block {index}", "exec"), {"__name__": "__readme__"})
    capsys.readouterr()


def test_setup_commands_first_and_ci_runs_the_same_test_command():
    first = _blocks("bash")[0].splitlines()
    assert first[0].startswith("./scripts/bootstrap && .venv/bin/fasttopo diagram ")
    assert first[1].startswith("./scripts/bootstrap && .venv/bin/python -m pytest -n 2 ")
    test_command = first[1].split("#")[0].strip()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in [line.strip() for line in ci]


def test_readme_extras_exist():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    table = README.split("| extra | brings | needed for |")[1].split("\n\n")[0]
    named = set(re.findall(r"`(\w+)`", "\n".join(line.split("|")[1]
                                                 for line in table.splitlines()[2:])))
    assert {"torch", "plot", "progress", "dask", "all"} <= named
    assert named <= set(extras), f"README names extras pyproject.toml lacks: {named - set(extras)}"


def test_readme_is_for_users():
    lower = README.lower()
    assert "this session" not in lower and "| target" not in lower
    assert 'pip install "fasttopo[all]"' not in README      # no index serves it
    assert "persistence(image, *, max_dim=None" in README     # keyword-only shown as such
