"""The ``fasttopo`` command: persistence diagrams of image files from the shell.

Every option is checked before any computation: a mistake ends with exit
status 2 and one line on stderr (``fasttopo: error: ...``) naming the
option as typed, and nothing on stdout.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

from ._io import IMAGE_KINDS as _IMAGE_KINDS
from ._io import MAX_PIXELS, ImageReadError, load_image
from ._io import one_line as _one_line

__all__ = ["main"]

class UsageError(Exception):
    """A command-line option is invalid (the message names it)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit status 2."""

    def error(self, message):
        raise UsageError(message)


def _parser():
    from . import __version__
    parser = _Parser(
        prog="fasttopo",
        description="Fast, exact persistent homology of images, with birth and death pixels.")
    parser.add_argument("--version", action="version", version=f"fasttopo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    diagram = sub.add_parser(
        "diagram", help="persistence diagram of an image",
        description="Compute the persistence diagram of an image and print a summary.")
    diagram.add_argument("image", nargs="?", default=None,
                         help=f"{_IMAGE_KINDS} (colour is converted to grey); default: "
                              f"skimage.data.camera()")
    diagram.add_argument("--max-dim", type=int, default=None, metavar="K",
                         help="largest homology dimension, 0 to ndim - 1 (default: ndim - 1)")
    diagram.add_argument("--connectivity", type=int, default=None, metavar="C",
                         help="1 (V-construction) to image.ndim (T-construction, default)")
    diagram.add_argument("--superlevel", action="store_true",
                         help="superlevel-set filtration (bright objects)")
    diagram.add_argument("--keep-channels", action="store_true",
                         help="keep the colour channels of an (M, N, 3|4) image as a volume "
                              "instead of converting it to grey")
    diagram.add_argument("--top", type=int, default=10, metavar="N",
                         help="how many of the longest-lived pairs to list, >= 0 (default 10)")
    diagram.add_argument("--out", default=None, metavar="FILE",
                         help="save the pairs to FILE.npz (PersistenceDiagram.to_dict) or "
                              "FILE.csv (one row per pair with birth/death pixel coordinates; "
                              "a first '#' line gives the shape)")
    diagram.add_argument("--plot", default=None, metavar="FILE.png",
                         help="draw the diagram with matplotlib (png, pdf, svg, ...)")
    diagram.add_argument("--cycles", type=int, default=None, metavar="N",
                         help="with --plot: also draw, over the image, the representative "
                              "cycles of the N longest-lived pairs (volumes: maximum "
                              "projection along the first axis)")
    diagram.add_argument("--overwrite", action="store_true",
                         help="replace existing --out / --plot files (without it, an existing "
                              "file is an error, before anything is computed)")
    diagram.add_argument("--max-pixels", type=int, default=MAX_PIXELS, metavar="N",
                         help=f"refuse image files whose header declares more than N pixels, "
                              f"before decoding them (default {MAX_PIXELS:,} = 2**27)")
    sub.add_parser("warmup", help="compile every kernel once (progress bar)",
                   description="Compile fasttopo's kernels for this machine ahead of the first "
                               "call; later processes load them from the Numba cache.")
    return parser


def _check_writable(path, option, overwrite):
    """UsageError unless ``path`` can be written, tried for real (permission bits say
    nothing for root or a read-only file system): an existing file is opened for
    update without truncation (only with ``overwrite``), a new one created and removed."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a directory")
    if not os.path.isdir(folder):
        raise UsageError(f"{option} {path}: the folder {folder} does not exist")
    exists = os.path.exists(path)
    if exists and not overwrite:
        raise UsageError(f"{option} {path}: the file exists (pass --overwrite to replace it)")
    try:
        if exists:
            with open(path, "r+b"):
                pass
        else:
            with open(path, "xb"):
                pass
            os.remove(path)
    except OSError as exc:
        raise UsageError(f"{option} {path}: not writable ({exc.strerror or exc})") from None


def _check_options(args):
    """Everything that does not need the image, checked before reading it."""
    if args.top < 0:
        raise UsageError(f"--top must be >= 0, got {args.top}")
    if args.cycles is not None and args.cycles < 1:
        raise UsageError(f"--cycles must be >= 1, got {args.cycles}")
    if args.cycles is not None and args.plot is None:
        raise UsageError("--cycles N draws the cycles on the --plot figure: add --plot FILE.png")
    if args.max_pixels < 1:
        raise UsageError(f"--max-pixels must be >= 1, got {args.max_pixels}")
    if args.max_dim is not None and args.max_dim < 0:
        raise UsageError(f"--max-dim must be >= 0, got {args.max_dim}")
    if args.connectivity is not None and args.connectivity < 1:
        raise UsageError(f"--connectivity must be >= 1, got {args.connectivity}")
    if args.out is not None:
        ext = os.path.splitext(args.out)[1].lower()
        if ext not in (".npz", ".csv"):
            raise UsageError(f"--out must end in .npz or .csv, got {args.out!r}")
        _check_writable(args.out, "--out", args.overwrite)
    if args.plot is not None:
        from ._validation import missing_extra
        try:
            from matplotlib.backend_bases import FigureCanvasBase
        except ImportError:
            raise UsageError(missing_extra("matplotlib", "--plot")) from None
        ext = os.path.splitext(args.plot)[1].lower().lstrip(".")
        kinds = FigureCanvasBase.get_supported_filetypes()
        if ext not in kinds:
            suffixes = ", ".join("." + k for k in sorted(kinds))
            raise UsageError(f"--plot must end in one of {suffixes}, got {args.plot!r}")
        _check_writable(args.plot, "--plot", args.overwrite)


def _check_image_options(args, image):
    """--max-dim and --connectivity against the image read."""
    from ._validation import check_image
    try:
        image = check_image(image)
    except (TypeError, ValueError) as exc:
        raise UsageError(_one_line(exc)) from None
    ndim = image.ndim
    if args.max_dim is not None and args.max_dim > ndim - 1:
        raise UsageError(f"--max-dim must be between 0 and {ndim - 1} for a {ndim}D image, "
                         f"got {args.max_dim}")
    if args.connectivity is not None and args.connectivity > ndim:
        raise UsageError(f"--connectivity must be between 1 and {ndim} for a {ndim}D image, "
                         f"got {args.connectivity}")
    if ndim == 3 and args.connectivity == 2 and (args.max_dim is None or args.max_dim >= 1):
        raise UsageError("--connectivity 2 on a 3D image defines dimension 0 only: add "
                         "--max-dim 0, or use --connectivity 1 or 3")
    return image


def _coords(coords):
    return "(" + ", ".join(str(int(c)) for c in coords) + ")"


def _save(diagram, path):
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        np.savez(path, **diagram.to_dict())
        return
    _save_csv(diagram, path)


def _save_csv(diagram, path):
    """One row per pair: dim, birth, death, flat indices, then C-order coordinates."""
    axes = range(diagram.ndim)
    columns = (["dim", "birth", "death", "birth_index", "death_index"]
               + [f"birth_{a}" for a in axes] + [f"death_{a}" for a in axes])
    kind = "superlevel" if diagram.superlevel else "sublevel"
    births, deaths = diagram.birth_coordinates(), diagram.death_coordinates()
    exact = diagram._exact_values() is not None
    birth = diagram.exact_birth.tolist()
    death = diagram.exact_death.tolist() if exact else diagram.death.tolist()
    with open(path, "w") as f:
        f.write(f"# shape={diagram.shape} connectivity={diagram.connectivity} {kind} "
                f"filtration; birth_k/death_k: coordinate along axis k (C order); an essential "
                f"class has death_index -1 and death coordinates -1\n")
        f.write(",".join(columns) + "\n")
        for i in range(len(diagram)):
            d = death[i]
            if exact and diagram.death_index[i] < 0:
                d = float(diagram.death[i])
            values = [int(diagram.dim[i]), _number(birth[i]), _number(d),
                      int(diagram.birth_index[i]), int(diagram.death_index[i])]
            values += births[i].tolist() + deaths[i].tolist()
            f.write(",".join(str(v) for v in values) + "\n")


def _number(value):
    if isinstance(value, int):
        return value
    return repr(float(value))


def _run_diagram(args, out):
    _check_options(args)
    if args.image is None:
        import skimage.data
        image, name = skimage.data.camera(), "skimage.data.camera()"
    else:
        try:
            image = load_image(args.image, keep_channels=args.keep_channels,
                               max_pixels=args.max_pixels)
        except ImageReadError as exc:
            raise UsageError(str(exc)) from None
        name = args.image
    image = _check_image_options(args, image)
    from . import persistence
    start = time.perf_counter()
    with warnings.catch_warnings():
        if args.keep_channels:   # asked for: the channels are slices of a volume
            warnings.filterwarnings("ignore", message=".*looks like a colour")
        diagram = persistence(image, max_dim=args.max_dim, connectivity=args.connectivity,
                              superlevel=args.superlevel)
    elapsed = time.perf_counter() - start
    kind = "superlevel" if diagram.superlevel else "sublevel"
    print(f"{name}: shape {image.shape}, dtype {image.dtype}, connectivity "
          f"{diagram.connectivity}, {kind} filtration", file=out)
    counts = diagram.counts()
    for d in range(max(counts) + 1 if counts else 0):
        print(f"  dimension {d}: {counts.get(d, 0)} pairs", file=out)
    top = diagram.top_k(args.top)
    births, deaths = top.birth_coordinates(), top.death_coordinates()
    print(f"{len(top)} longest-lived pairs (dim, birth, death, lifetime, birth pixel -> "
          f"death pixel):", file=out)
    for i in range(len(top)):
        death_px = "never" if top.death_index[i] < 0 else _coords(deaths[i])
        print(f"  {top.dim[i]}  {top.birth[i]:.6g}  {top.death[i]:.6g}  "
              f"{top.lifetime[i]:.6g}  {_coords(births[i])} -> {death_px}", file=out)
    print(f"time: {elapsed * 1e3:.1f} ms", file=out)
    if args.out:
        _save(diagram, args.out)
        print(f"pairs written to {args.out}", file=out)
    if args.plot:
        drawn = _cycles(image, diagram, args.cycles, out) if args.cycles else None
        _plot(diagram, name, args.plot, drawn)
        print(f"diagram{' and cycles' if drawn else ''} drawn to {args.plot}", file=out)


def _cycles(image, diagram, n, out):
    """``(image, top, cycles)``: the cycles of the ``n`` longest-lived pairs, listed on ``out``."""
    from .cycles import representative_cycles
    top = diagram.top_k(n)
    start = time.perf_counter()
    cycles = representative_cycles(image, top)
    elapsed = time.perf_counter() - start
    sizes = ", ".join(f"{len(c)}" for c in cycles)
    print(f"cycles of the {len(top)} longest-lived pairs (pixels each): {sizes}; time: "
          f"{elapsed * 1e3:.1f} ms", file=out)
    return image, top, cycles


def _plot(diagram, name, path, drawn=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot import diagram_title, plot_cycles, plot_diagram
    title = f"{os.path.basename(name)}\n{diagram_title(diagram)}"
    if drawn is None:
        fig, ax = plt.subplots(figsize=(5, 5))
        plot_diagram(diagram, ax=ax, title=title)
    else:
        image, top, cycles = drawn
        fig, (ax, right) = plt.subplots(1, 2, figsize=(11, 5))
        plot_diagram(diagram, ax=ax, title=title)
        plot_cycles(image, top, cycles, ax=right)
        where = " (maximum projection along axis 0)" if image.ndim == 3 else ""
        right.set_title(f"cycles of the {len(top)} longest-lived pairs{where}; numbers: "
                        f"rank by lifetime", fontsize=9)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _run_warmup(args, out):
    from ._warmup import warmup
    start = time.perf_counter()
    kinds = warmup(progress=True)
    print(f"compiled {len(kinds)} kinds of call in {time.perf_counter() - start:.1f} s",
          file=out)


_COMMANDS = {"diagram": _run_diagram, "warmup": _run_warmup}


def main(argv=None):
    """Entry point of the ``fasttopo`` console script; returns the exit status.

    0 on success; 2 for a usage mistake, an unreadable file or an invalid
    image, with one line ``fasttopo: error: ...`` on stderr.
    """
    try:
        args = _parser().parse_args(argv)
        _COMMANDS[args.command](args, sys.stdout)
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    except (UsageError, ImageReadError, ValueError, TypeError, NotImplementedError, OSError,
            ImportError) as exc:
        sys.stdout.flush()
        print(f"fasttopo: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
