"""Reading image files: the command and :mod:`fasttopo.dask` load images with ``load_image``."""

import os
import warnings

import numpy as np

__all__ = ["load_image", "ImageReadError", "one_line", "IMAGE_KINDS", "MAX_PIXELS"]

IMAGE_KINDS = "PNG, TIFF, JPEG, BMP, GIF, ... or a NumPy .npy/.npz file"
#: files declaring more pixels than this are refused unless ``max_pixels`` raises it
#: (2**27, about 134 million: a 11585 x 11585 image; a small compressed file can declare
#: a huge image, a "decompression bomb")
MAX_PIXELS = 1 << 27


class ImageReadError(Exception):
    """An image file could not be read (the message says why)."""


def one_line(text):
    """Messages of decoders and OS errors can span lines: keep them on one."""
    return " ".join(str(text).split())


def _pixels(shape):
    """Pixels of an image of ``shape`` (a trailing colour axis of 2-4 channels counts once)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) >= 3 and shape[-1] in (2, 3, 4):
        shape = shape[:-1]
    return int(np.prod(shape, dtype=object))


def _check_pixels(path, shape, max_pixels):
    pixels = _pixels(shape)
    if max_pixels is not None and pixels > max_pixels:
        raise ImageReadError(f"{path} declares {pixels:,} pixels (shape {tuple(shape)}), more "
                             f"than the limit of {max_pixels:,}: refused before decoding "
                             f"(raise the limit with max_pixels=, or --max-pixels)")


def load_image(path, *, keep_channels=False, max_pixels=MAX_PIXELS):
    """Read an image file as an ndarray: PNG/TIFF/JPEG/... (colour -> grey), .npy or .npz.

    An ``.npz`` archive must hold one array, or an array named ``volume``
    or ``image``; ``.npy`` and ``.npz`` arrays are returned as stored.
    Colour images of every format (``(M, N, 3)`` RGB, ``(M, N, 4)`` RGBA,
    and ``(P, M, N, 3|4)`` colour stacks) are converted to grey the same
    way, with :func:`skimage.color.rgb2gray` (alpha dropped; float64
    values in [0, 1]); grey + alpha ``(M, N, 2)`` keeps the grey channel.

    Parameters
    ----------
    path : str
        The file.
    keep_channels : bool, optional
        Keep colour channels: an ``(M, N, C)`` image stays a volume with
        ``C`` slices along the last axis.
    max_pixels : int or None, optional
        Refuse, before decoding, a file whose header declares more pixels
        (default ``MAX_PIXELS`` = 2**27; a colour channel axis counts
        once; None: no limit).  A small compressed file can declare a huge
        image.

    Raises
    ------
    ImageReadError
        If the file does not exist, cannot be decoded (one line: "cannot
        read FILE as an image") or declares more than ``max_pixels``.
    """
    if not os.path.exists(path):
        raise ImageReadError(f"no such file: {path}")
    if os.path.isdir(path):
        raise ImageReadError(f"{path} is a directory, not an image file")
    ext = os.path.splitext(path)[1].lower()
    if ext in (".npy", ".npz"):
        return _load_array(path, ext, max_pixels)
    try:
        import imageio.v3 as iio
        with warnings.catch_warnings():   # plugins probed on a bad file warn about themselves
            warnings.simplefilter("ignore")
            shape = iio.improps(path).shape   # the header only: nothing decoded yet
    except Exception:  # decoders raise many kinds of errors, with multi-line hints
        raise ImageReadError(f"cannot read {path} as an image ({IMAGE_KINDS})") from None
    _check_pixels(path, shape, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = np.asarray(iio.imread(path))
    except Exception:
        raise ImageReadError(f"cannot read {path} as an image ({IMAGE_KINDS})") from None
    _check_pixels(path, image.shape, max_pixels)   # in case a header said less
    if keep_channels:
        return image
    if image.ndim in (3, 4) and image.shape[-1] in (3, 4):
        from skimage.color import rgb2gray, rgba2rgb
        if image.shape[-1] == 4:
            image = rgba2rgb(image)
        image = rgb2gray(image)
    elif image.ndim == 3 and image.shape[-1] == 2:  # grey + alpha
        image = image[..., 0]
    return image


def _member_shape(archive, name):
    """The shape an ``.npz`` member declares in its header (nothing decompressed)."""
    fmt = np.lib.format
    with archive.zip.open(name + ".npy") as f:
        version = fmt.read_magic(f)
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        return read(f)[0]


def _load_array(path, ext, max_pixels):
    try:
        if ext == ".npy":
            header = np.load(path, mmap_mode="r", allow_pickle=False)
            _check_pixels(path, header.shape, max_pixels)
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            chosen = next((n for n in ("volume", "image") if n in names),
                          names[0] if len(names) == 1 else None)
            if chosen is not None:
                _check_pixels(path, _member_shape(archive, chosen), max_pixels)
                return archive[chosen]
    except ImageReadError:
        raise
    except Exception as exc:
        raise ImageReadError(f"cannot read {path} as a NumPy {ext} file "
                             f"({one_line(exc)})") from None
    raise ImageReadError(f"{path} holds arrays {names}; expected one array or one named "
                         f"'volume' or 'image'")
