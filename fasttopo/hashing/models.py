"""Model files of the diagram hashers: byte-reproducible writing, checked reading (private).

Two formats, both ``.npz`` archives with a JSON ``meta`` string:

* format 1, the paper's encoder (Qin et al. 2021): ``W0 (bins^2 + 1, h0)``,
  ``b0 (h0,)``, ``W1 (h0, h1)``, ``b1 (h1,)``, ``W2 (h1, n_bits)``,
  ``b2 (n_bits,)``, float32;
* format 2, threshold codes (:mod:`fasttopo.hashing.thresholds`): ``kind``
  (n_bits,) int8 in {0, 1}, ``t`` (n_bits,) float64 in [0, 1], ``c``
  (n_bits,) float64 >= 1.

:func:`write` gives the same bytes for the same content (fixed zip
timestamps, sorted entries), so that a seeded training script re-makes its
model file bit for bit.  :func:`read` refuses, with a ValueError naming the
file, anything but a well-formed model: missing or extra arrays, wrong
shapes or dtypes, NaN or infinite weights, metadata of the wrong type.
"""

import io
import json
import zipfile

import numpy as np

__all__ = ["write", "read", "PAPER_LAYERS", "CUT_ARRAYS"]

PAPER_LAYERS = ("W0", "b0", "W1", "b1", "W2", "b2")
CUT_ARRAYS = ("kind", "t", "c")
_FORMATS = {1: PAPER_LAYERS, 2: CUT_ARRAYS}


def write(path, meta, arrays):
    """Write ``meta`` (JSON-able dict) and ``arrays`` to an ``.npz`` file, reproducibly."""
    entries = {"meta": np.array(json.dumps(meta, sort_keys=True))}
    entries.update(arrays)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(entries[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


def _fail(path, what):
    raise ValueError(f"{path} is not a valid DiagramHasher model: {what}")


def _meta(path, data):
    if "meta" not in data.files:
        _fail(path, "it has no 'meta' entry")
    try:
        meta = json.loads(str(data["meta"]))
    except (ValueError, TypeError) as exc:
        _fail(path, f"its 'meta' entry is not JSON ({exc})")
    if not isinstance(meta, dict):
        _fail(path, f"its 'meta' entry is a {type(meta).__name__}, not a dict")
    checks = {"format": lambda v: v in _FORMATS,
              "n_bits": lambda v: type(v) is int and v >= 1,
              "dim": lambda v: v is None or (type(v) is int and v >= 0),
              "value_range": lambda v: v is None or (
                  isinstance(v, list) and len(v) == 2
                  and all(type(x) in (int, float) and np.isfinite(x) for x in v)
                  and v[0] < v[1]),
              "info": lambda v: isinstance(v, dict)}
    for key, ok in checks.items():
        if key not in meta:
            _fail(path, f"its metadata has no {key!r}")
        if not ok(meta[key]):
            _fail(path, f"its metadata {key!r} is {meta[key]!r} ({type(meta[key]).__name__})")
    if meta["format"] == 1 and meta.get("bins") != 50:
        _fail(path, f"its metadata 'bins' is {meta.get('bins')!r}, expected 50")
    return meta


def _array(path, data, name, ndim, kind):
    if name not in data.files:
        _fail(path, f"it has no array {name!r}")
    array = data[name]
    if array.ndim != ndim or array.dtype.kind not in kind:
        _fail(path, f"array {name!r} has shape {array.shape} and dtype {array.dtype}, expected "
                    f"{ndim} dimension(s) of dtype kind {kind!r}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        _fail(path, f"array {name!r} contains NaN or infinite values")
    return array


def _paper(path, data, meta):
    w = {name: _array(path, data, name, 2 if name[0] == "W" else 1, "f").astype(np.float64)
         for name in PAPER_LAYERS}
    n_bits, bins = meta["n_bits"], meta["bins"]
    expected = {"W0": (bins * bins + 1, w["b0"].shape[0]), "W1": (w["b0"].shape[0],
                w["b1"].shape[0]), "W2": (w["b1"].shape[0], n_bits), "b2": (n_bits,)}
    for name, shape in expected.items():
        if w[name].shape != shape:
            _fail(path, f"array {name!r} has shape {w[name].shape}, expected {shape} for "
                        f"n_bits={n_bits}")
    return w


def _cuts(path, data, meta):
    w = {"kind": _array(path, data, "kind", 1, "iu").astype(np.int64),
         "t": _array(path, data, "t", 1, "f").astype(np.float64),
         "c": _array(path, data, "c", 1, "f").astype(np.float64)}
    for name, array in w.items():
        if array.shape != (meta["n_bits"],):
            _fail(path, f"array {name!r} has shape {array.shape}, expected "
                        f"({meta['n_bits']},) for n_bits={meta['n_bits']}")
    if not np.isin(w["kind"], (0, 1)).all():
        _fail(path, "array 'kind' has values other than 0 and 1")
    if ((w["t"] < 0) | (w["t"] > 1)).any() or (w["c"] < 1).any():
        _fail(path, "array 't' must lie in [0, 1] and 'c' be >= 1")
    return w


def read(path):
    """``(meta, weights)`` of a model file, checked (ValueError naming ``path``)."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        _fail(path, f"it cannot be read as .npz ({exc})")
    if not isinstance(data, np.lib.npyio.NpzFile):
        _fail(path, "it is a single array, not an .npz archive")
    with data:
        meta = _meta(path, data)
        expected = set(_FORMATS[meta["format"]]) | {"meta"}
        if set(data.files) != expected:
            _fail(path, f"it holds {sorted(data.files)}, expected {sorted(expected)}")
        weights = (_paper if meta["format"] == 1 else _cuts)(path, data, meta)
    return meta, weights
