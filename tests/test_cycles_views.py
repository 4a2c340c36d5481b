"""Representative cycles drawn: fasttopo.plot.plot_cycles and fasttopo diagram --cycles."""

import io

import numpy as np
import pytest

from fasttopo import persistence, representative_cycles
from fasttopo.cli import main

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fasttopo.plot import plot_cycles  # noqa: E402


def _rgba(ax):
    """The cycles' overlay (the last image on the axes) as an array."""
    return np.asarray(ax.images[-1].get_array())


def _render(ax):
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    plt.close(ax.figure)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_cycles_paints_the_cycles_pixels():
    image = np.random.default_rng(0).random((20, 24))
    dgm = persistence(image).top_k(6)
    cycles = representative_cycles(image, dgm)
    ax = plot_cycles(image, dgm, cycles, colors=["red"], numbers=True)
    painted = _rgba(ax)[..., 3] > 0
    expected = np.zeros(image.shape, dtype=bool)
    for i, c in enumerate(cycles):
        if not dgm.is_essential[i]:          # the whole image: marked, not painted
            expected[tuple(c.T)] = True
    assert np.array_equal(painted, expected)
    assert len(ax.texts) == len(dgm)
    _render(ax)
    # computed when not given; the same picture
    ax = plot_cycles(image, dgm, colors=["red"])
    assert np.array_equal(_rgba(ax)[..., 3] > 0, expected)
    _render(ax)


def test_plot_cycles_volumes_and_signals():
    volume = np.random.default_rng(1).random((6, 7, 8))
    dgm = persistence(volume)
    for rows in (dgm.select(1).top_k(3), dgm.select(2).top_k(3)):
        cycles = representative_cycles(volume, rows)
        ax = plot_cycles(volume, rows, cycles, axis=1)          # maximum projection
        painted = _rgba(ax)[..., 3] > 0
        assert painted.shape == (6, 8)
        expected = np.zeros((6, 8), dtype=bool)
        for c in cycles:
            expected[c[:, 0], c[:, 2]] = True
        assert np.array_equal(painted, expected)
        if rows.dim[0] == 1:
            assert len(ax.lines) == 3        # the loops drawn in walk order
        _render(ax)
        where = int(cycles[0][0, 0])
        ax = plot_cycles(volume, rows, cycles, axis=0, index=where)   # one slice
        painted = _rgba(ax)[..., 3] > 0
        on_slice = np.zeros((7, 8), dtype=bool)
        for c in cycles:
            on = c[c[:, 0] == where]
            on_slice[on[:, 1], on[:, 2]] = True
        assert np.array_equal(painted, on_slice)
        _render(ax)
    signal = np.random.default_rng(2).random(50)
    ax = plot_cycles(signal, persistence(signal).top_k(3))
    assert len(ax.lines) == 1 and ax.collections
    _render(ax)


def test_plot_cycles_errors():
    image = np.random.default_rng(3).random((10, 10))
    dgm = persistence(image).top_k(3)
    with pytest.raises(ValueError, match="one array per row"):
        plot_cycles(image, dgm, representative_cycles(image, dgm)[:2])
    with pytest.raises(TypeError, match="PersistenceDiagram"):
        plot_cycles(image, dgm.to_array())
    volume = np.random.default_rng(4).random((4, 5, 6))
    vdgm = persistence(volume).top_k(2)
    with pytest.raises(ValueError, match="axis must be 0, 1 or 2"):
        plot_cycles(volume, vdgm, axis=3)
    with pytest.raises(ValueError, match=r"index must be below image.shape\[2\] = 6"):
        plot_cycles(volume, vdgm, axis=2, index=6)
    with pytest.raises(TypeError, match="markers"):
        plot_cycles(image, dgm, markers="yes")
    plt.close("all")


def test_command_draws_cycles(tmp_path, capsys):
    volume = np.random.default_rng(5).random((5, 6, 7))
    npy = tmp_path / "v.npy"
    np.save(npy, volume)
    png = tmp_path / "c.png"
    assert main(["diagram", str(npy), "--cycles", "4", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    sizes = [len(c) for c in representative_cycles(volume, persistence(volume).top_k(4))]
    assert f"(pixels each): {', '.join(map(str, sizes))};" in out
    assert "diagram and cycles drawn to" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, message", [
    (["--cycles", "3"], "--cycles N draws the cycles on the --plot figure"),
    (["--cycles", "0", "--plot", "x.png"], "--cycles must be >= 1, got 0"),
])
def test_command_cycles_errors(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["diagram"] + argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err
