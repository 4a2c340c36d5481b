"""The fasttopo command."""

import subprocess
import sys

import numpy as np
import pytest
import skimage.io

from fasttopo import PersistenceDiagram, persistence
from fasttopo.cli import main


def test_default_image(capsys):
    assert main(["diagram", "--max-dim", "0"]) == 0
    out = capsys.readouterr().out
    assert "skimage.data.camera()" in out and "dimension 0:" in out
    assert "longest-lived pairs" in out and "time:" in out


def test_png_colour_npy_npz_and_outputs(tmp_path, capsys, rng):
    rgb = (rng.random((20, 24, 3)) * 255).astype(np.uint8)
    png = tmp_path / "c.png"
    skimage.io.imsave(png, rgb, check_contrast=False)
    out_npz = tmp_path / "pairs.npz"
    assert main(["diagram", str(png), "--out", str(out_npz), "--superlevel"]) == 0
    with np.load(out_npz) as data:
        dgm = PersistenceDiagram.from_dict(data)
    assert dgm.superlevel and dgm.shape == (20, 24)
    npy = tmp_path / "v.npy"
    volume = rng.random((6, 7, 8))
    np.save(npy, volume)
    csv = tmp_path / "pairs.csv"
    assert main(["diagram", str(npy), "--max-dim", "0", "--connectivity", "1",
                 "--out", str(csv)]) == 0
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    expected = persistence(volume, max_dim=0, connectivity=1)
    np.testing.assert_array_equal(table[:, 3].astype(int), expected.birth_index)
    npz = tmp_path / "v.npz"
    np.savez(npz, volume=volume)
    assert main(["diagram", str(npz), "--max-dim", "0"]) == 0
    capsys.readouterr()


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "d.png"
    assert main(["diagram", "--plot", str(png)]) == 0
    assert png.stat().st_size > 1000


def test_errors_exit_2_without_traceback(tmp_path, capsys):
    assert main(["diagram", str(tmp_path / "missing.png")]) == 2
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    assert main(["diagram", str(bad)]) == 2
    many = tmp_path / "many.npz"
    np.savez(many, a=np.zeros(3), b=np.zeros(3))
    assert main(["diagram", str(many)]) == 2
    assert main(["diagram", "--connectivity", "5"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("fasttopo: error:") == 4


def test_console_script_runs():
    proc = subprocess.run([sys.executable, "-m", "fasttopo.cli", "diagram", "--max-dim", "0",
                           "--top", "3"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "3 longest-lived pairs" in proc.stdout


def test_warmup_runs_every_kind_of_call(capsys):
    assert main(["warmup"]) == 0
    assert "compiled 10 kinds of call" in capsys.readouterr().out
