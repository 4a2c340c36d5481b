"""The ``fasttopo`` command: persistence diagrams of image files from the shell."""

import argparse
import os
import sys
import time

import numpy as np

__all__ = ["main", "load_image"]


class ImageReadError(Exception):
    """An image file could not be read (the message says why)."""


def load_image(path):
    """Read an image file as an ndarray: PNG/TIFF/JPEG (colour -> grey), .npy or .npz.

    An ``.npz`` archive must hold one array, or an array named ``volume``
    or ``image``.  Colour images are converted with
    :func:`skimage.color.rgb2gray` (alpha dropped).

    Raises
    ------
    ImageReadError
        If the file does not exist or cannot be decoded.
    """
    if not os.path.exists(path):
        raise ImageReadError(f"no such file: {path}")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".npy":
            return np.load(path, allow_pickle=False)
        if ext == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                names = list(archive.files)
                for name in ("volume", "image"):
                    if name in names:
                        return archive[name]
                if len(names) == 1:
                    return archive[names[0]]
                raise ImageReadError(f"{path} holds arrays {names}; expected one array or one "
                                     f"named 'volume' or 'image'")
        import skimage.io
        image = skimage.io.imread(path)
    except ImageReadError:
        raise
    except Exception as exc:  # decoders raise many kinds of errors
        raise ImageReadError(f"cannot read {path}: {exc}") from None
    if image.ndim == 3 and image.shape[-1] in (3, 4) and ext not in (".tif", ".tiff"):
        from skimage.color import rgb2gray, rgba2rgb
        if image.shape[-1] == 4:
            image = rgba2rgb(image)
        image = rgb2gray(image)
    return image


def _parser():
    parser = argparse.ArgumentParser(
        prog="fasttopo",
        description="Fast, exact persistent homology of images, with birth and death pixels.")
    sub = parser.add_subparsers(dest="command", required=True)
    diagram = sub.add_parser(
        "diagram", help="persistence diagram of an image",
        description="Compute the persistence diagram of an image and print a summary.")
    diagram.add_argument("image", nargs="?", default=None,
                         help="PNG/TIFF/JPEG (colour converted to grey), .npy or .npz file; "
                              "default: skimage.data.camera()")
    diagram.add_argument("--max-dim", type=int, default=None, metavar="K",
                         help="largest homology dimension (default: image.ndim - 1)")
    diagram.add_argument("--connectivity", type=int, default=None, metavar="C",
                         help="1 (V-construction) to image.ndim (T-construction, default)")
    diagram.add_argument("--superlevel", action="store_true",
                         help="superlevel-set filtration (bright objects)")
    diagram.add_argument("--top", type=int, default=10, metavar="N",
                         help="how many of the longest-lived pairs to list (default 10)")
    diagram.add_argument("--out", default=None, metavar="FILE",
                         help="save the pairs to FILE.npz or FILE.csv")
    diagram.add_argument("--plot", default=None, metavar="FILE.png",
                         help="draw the diagram with matplotlib")
    sub.add_parser("warmup", help="compile every kernel once (progress bar)",
                   description="Compile fasttopo's kernels for this machine ahead of the first "
                               "call; later processes load them from the Numba cache.")
    return parser


def _coords(coords):
    return "(" + ", ".join(str(int(c)) for c in coords) + ")"


def _save(diagram, path):
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        np.savez(path, **diagram.to_dict())
    elif ext == ".csv":
        header = "dim,birth,death,birth_index,death_index"
        table = np.column_stack([diagram.dim, diagram.birth, diagram.death,
                                 diagram.birth_index, diagram.death_index])
        np.savetxt(path, table, delimiter=",", header=header, comments="",
                   fmt=["%d", "%.17g", "%.17g", "%d", "%d"])
    else:
        raise ValueError(f"--out must end in .npz or .csv, got {path!r}")


def _run_diagram(args, out):
    from . import persistence
    if args.image is None:
        import skimage.data
        image, name = skimage.data.camera(), "skimage.data.camera()"
    else:
        image, name = load_image(args.image), args.image
    start = time.perf_counter()
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
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plot import plot_diagram
        fig, ax = plt.subplots(figsize=(5, 5))
        plot_diagram(diagram, ax=ax)
        ax.set_title(os.path.basename(name))
        fig.savefig(args.plot, dpi=120, bbox_inches="tight")
        plt.close(fig)
        print(f"diagram drawn to {args.plot}", file=out)


def _run_warmup(out):
    from ._engine.warmup import warmup
    start = time.perf_counter()
    kinds = warmup(progress=True)
    print(f"compiled {len(kinds)} kinds of call in {time.perf_counter() - start:.1f} s",
          file=out)


def main(argv=None):
    """Entry point of the ``fasttopo`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "diagram":
            _run_diagram(args, sys.stdout)
        elif args.command == "warmup":
            _run_warmup(sys.stdout)
    except (ImageReadError, ValueError, TypeError, NotImplementedError, OSError) as exc:
        print(f"fasttopo: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
