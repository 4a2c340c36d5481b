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
    table = np.loadtxt(csv, delimiter=",", skiprows=2)
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


# ----------------------------------------------------------------- issue 16
def _one_error(capsys, argv, *needles):
    """main(argv) exits 2 with exactly one line on stderr and nothing on stdout."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("fasttopo: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_every_error_is_one_line_before_any_output(tmp_path, capsys, monkeypatch):
    text = tmp_path / "notes.png"
    text.write_text("this is a text file renamed .png\n")
    _one_error(capsys, ["diagram", str(text)], f"cannot read {text} as an image")
    assert "imageio" not in capsys.readouterr().err
    _one_error(capsys, ["diagram", str(tmp_path / "missing.tif")], "no such file")
    _one_error(capsys, ["diagram", str(tmp_path)], "is a directory")
    _one_error(capsys, ["diagram", "--top", "-3"], "--top must be >= 0, got -3")
    _one_error(capsys, ["diagram", "--top", "many"], "--top")
    _one_error(capsys, ["diagram", "--out", "x.txt"], "--out must end in .npz or .csv")
    _one_error(capsys, ["diagram", "--out", str(tmp_path / "no" / "x.csv")], "--out",
               "does not exist")
    _one_error(capsys, ["diagram", "--out", str(tmp_path)], "--out")
    _one_error(capsys, ["diagram", "--max-dim", "2"], "--max-dim must be between 0 and 1")
    _one_error(capsys, ["diagram", "--connectivity", "3"], "--connectivity must be between 1 and 2")
    _one_error(capsys, ["diagram", "--connectivity", "0"], "--connectivity must be >= 1")
    _one_error(capsys, [], "COMMAND")
    _one_error(capsys, ["frobnicate"], "frobnicate")
    nan = tmp_path / "nan.npy"
    np.save(nan, np.array([[0.0, np.nan], [1.0, 2.0]]))
    _one_error(capsys, ["diagram", str(nan)], "NaN at index (0, 1)")
    vol = tmp_path / "vol.npy"
    np.save(vol, np.zeros((3, 3, 3)))
    _one_error(capsys, ["diagram", str(vol), "--connectivity", "2"], "--max-dim 0")
    corrupt = tmp_path / "c.npy"
    corrupt.write_bytes(b"\x93NUMPY garbage")
    _one_error(capsys, ["diagram", str(corrupt)], f"cannot read {corrupt}")


def test_plot_options_checked_before_computing(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    _one_error(capsys, ["diagram", "--plot", str(tmp_path / "d.txt")], "--plot must end in")
    _one_error(capsys, ["diagram", "--plot", str(tmp_path / "no" / "d.png")], "--plot",
               "does not exist")
    # without matplotlib: one line naming the extra, exit 2, nothing computed or printed
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backend_bases", None)
    _one_error(capsys, ["diagram", "--plot", str(tmp_path / "d.png")],
               'pip install "fasttopo[plot]"')


def test_version_and_help(capsys):
    import fasttopo
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fasttopo {fasttopo.__version__}"
    assert main(["diagram", "--help"]) == 0
    assert "--keep-channels" in capsys.readouterr().out


def test_colour_converted_the_same_for_every_format(tmp_path, capsys, rng):
    from skimage.color import rgb2gray
    from fasttopo._io import load_image
    rgb = (rng.random((12, 15, 3)) * 255).astype(np.uint8)
    for ext in (".png", ".tif", ".bmp"):
        path = tmp_path / f"c{ext}"
        skimage.io.imsave(path, rgb, check_contrast=False)
        image = load_image(str(path))
        assert image.shape == (12, 15), ext
        np.testing.assert_allclose(image, rgb2gray(rgb))
        assert load_image(str(path), keep_channels=True).shape == (12, 15, 3)
    tif = tmp_path / "c.tif"
    assert main(["diagram", str(tif), "--max-dim", "0"]) == 0
    assert "shape (12, 15)" in capsys.readouterr().out
    assert main(["diagram", str(tif), "--keep-channels", "--max-dim", "0"]) == 0
    assert "shape (12, 15, 3)" in capsys.readouterr().out


def test_csv_has_coordinates_and_shape(tmp_path, capsys, rng):
    image = rng.integers(0, 5, (6, 9))
    npy = tmp_path / "i.npy"
    np.save(npy, image)
    csv = tmp_path / "p.csv"
    assert main(["diagram", str(npy), "--out", str(csv), "--superlevel"]) == 0
    capsys.readouterr()
    first, header = csv.read_text().splitlines()[:2]
    assert first.startswith("# shape=(6, 9) connectivity=2 superlevel")
    assert header.split(",") == ["dim", "birth", "death", "birth_index", "death_index",
                                 "birth_0", "birth_1", "death_0", "death_1"]
    table = np.loadtxt(csv, delimiter=",", skiprows=2)
    dgm = persistence(image, superlevel=True)
    np.testing.assert_array_equal(table[:, 1], dgm.birth)
    np.testing.assert_array_equal(table[:, 2], dgm.death)
    np.testing.assert_array_equal(table[:, 5:7].astype(int), dgm.birth_coordinates())
    np.testing.assert_array_equal(table[:, 7:9].astype(int), dgm.death_coordinates())
    big = tmp_path / "big.npy"
    np.save(big, image.astype(np.int64) + 2**62)
    assert main(["diagram", str(big), "--out", str(csv), "--overwrite"]) == 0
    capsys.readouterr()
    rows = [line.split(",") for line in csv.read_text().splitlines()[2:]]
    exact = persistence(image.astype(np.int64) + 2**62)
    assert [int(r[1]) for r in rows] == exact.exact_birth.tolist()   # exact, not rounded


def test_plot_title_names_filtration(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    titles = []
    monkeypatch.setattr(plt.Figure, "savefig",
                        lambda fig, *a, **k: titles.append(fig.axes[0].get_title()))
    assert main(["diagram", "--superlevel", "--max-dim", "0", "--plot",
                 str(tmp_path / "d.png")]) == 0
    capsys.readouterr()
    assert "superlevel filtration, connectivity 2 (T-construction)" in titles[0]


def test_warmup_runs_every_kind_of_call(capsys):
    from fasttopo._warmup import _cases
    assert main(["warmup"]) == 0
    assert f"compiled {len(_cases())} kinds of call" in capsys.readouterr().out


def test_declared_size_is_checked_before_decoding(tmp_path, capsys):
    # a 12000 x 12000 PNG of zeros compresses to ~140 KB: refused from its header
    import imageio.v3 as iio
    bomb = tmp_path / "bomb.png"
    iio.imwrite(bomb, np.zeros((12000, 12000), dtype=np.uint8))
    assert bomb.stat().st_size < 1 << 20
    assert main(["diagram", str(bomb)]) == 2
    err = capsys.readouterr().err
    assert "declares 144,000,000 pixels" in err and "--max-pixels" in err
    small = tmp_path / "small.npz"
    np.savez_compressed(small, volume=np.zeros((40, 40, 40), dtype=np.uint8))
    assert main(["diagram", str(small), "--max-pixels", "1000", "--max-dim", "0"]) == 2
    assert "declares 64,000 pixels" in capsys.readouterr().err
    assert main(["diagram", str(small), "--max-pixels", "64000", "--max-dim", "0"]) == 0
    assert main(["diagram", "--max-pixels", "0"]) == 2
    capsys.readouterr()


def test_outputs_are_checked_for_real_and_never_overwritten_silently(tmp_path, capsys):
    out = tmp_path / "pairs.npz"
    out.write_bytes(b"keep me")
    assert main(["diagram", "--max-dim", "0", "--out", str(out)]) == 2
    assert "the file exists (pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert main(["diagram", "--max-dim", "0", "--out", str(out), "--overwrite"]) == 0
    assert out.read_bytes() != b"keep me"
    capsys.readouterr()
    # a place that cannot be written even by root: refused before computing anything
    assert main(["diagram", "--max-dim", "0", "--out", "/proc/fasttopo-pairs.npz"]) == 2
    captured = capsys.readouterr()
    assert "not writable" in captured.err and "time:" not in captured.out
    assert not list(tmp_path.glob("*.csv"))
