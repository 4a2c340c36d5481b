"""Reading image files: the command and :mod:`fasttopo.dask` load images with ``load_image``."""

import os
import warnings

import numpy as np

__all__ = ["load_image", "ImageReadError", "one_line", "IMAGE_KINDS"]

IMAGE_KINDS = "PNG, TIFF, JPEG, BMP, GIF, ... or a NumPy .npy/.npz file"


class ImageReadError(Exception):
    """An image file could not be read (the message says why)."""


def one_line(text):
    """Messages of decoders and OS errors can span lines: keep them on one."""
    return " ".join(str(text).split())


def load_image(path, *, keep_channels=False):
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

    Raises
    ------
    ImageReadError
        If the file does not exist or cannot be decoded (one line:
        "cannot read FILE as an image").
    """
    if not os.path.exists(path):
        raise ImageReadError(f"no such file: {path}")
    if os.path.isdir(path):
        raise ImageReadError(f"{path} is a directory, not an image file")
    ext = os.path.splitext(path)[1].lower()
    if ext in (".npy", ".npz"):
        return _load_array(path, ext)
    try:
        import imageio.v3 as iio
        with warnings.catch_warnings():   # plugins probed on a bad file warn about themselves
            warnings.simplefilter("ignore")
            image = np.asarray(iio.imread(path))
    except Exception:  # decoders raise many kinds of errors, with multi-line hints
        raise ImageReadError(f"cannot read {path} as an image ({IMAGE_KINDS})") from None
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


def _load_array(path, ext):
    try:
        if ext == ".npy":
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            for name in ("volume", "image"):
                if name in names:
                    return archive[name]
            if len(names) == 1:
                return archive[names[0]]
    except Exception as exc:
        raise ImageReadError(f"cannot read {path} as a NumPy {ext} file "
                             f"({one_line(exc)})") from None
    raise ImageReadError(f"{path} holds arrays {names}; expected one array or one named "
                         f"'volume' or 'image'")
