"""Dump the pairs of a broad set of cases, or check that a tree still gives the same ones.

Usage::

    python asv_bench/identical.py dump /tmp/pairs_main.npz      # with the reference tree
    python asv_bench/identical.py check /tmp/pairs_main.npz     # after a change
    python asv_bench/identical.py check /tmp/pairs_main.npz --quick   # without the volumes

Every case is one image (or a stack, or a list) and its options; the dump
keeps every field of every diagram (dimensions, values, pixel indices, exact
values of 64-bit integers).  ``check`` recomputes them and reports every
case whose fields are not bit-identical (exit status 1).  The cases cover
every dtype, both filtrations, 1D/2D/3D, every connectivity, 64-bit
integers at their extremes, the small, split, batch and threaded paths,
noise and smooth volumes and the real volumes of ``../shared/data``.
"""

import argparse
import zlib
import pathlib
import sys

import numpy as np

import fasttopo

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchmarks.case import DATA  # noqa: E402  (../shared/data)
DTYPES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
          "float32", "float64"]


def _smooth(shape, sigma, seed):
    from scipy.ndimage import gaussian_filter
    return gaussian_filter(np.random.default_rng(seed).random(shape), sigma).astype(np.float32)


def _typed(shape, dtype, seed, levels=None):
    """Random values of ``dtype``; ``levels`` grey levels (ties) if given."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if levels is not None:
        return rng.integers(0, levels, size=shape).astype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 100).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


def cases(quick=False):
    """``(name, images, kwargs, batch)``: one persistence call each."""
    out = []
    shapes = {"1d": (997,), "2d": (37, 53), "2d_large": (260, 301), "3d": (17, 19, 23)}
    for dtype in DTYPES:
        for tag, shape in shapes.items():
            ndim = len(shape)
            for levels in (None, 5):
                if dtype == "bool" and levels is not None:
                    continue
                image = _typed(shape, dtype, zlib.crc32(f"{dtype}{tag}{levels}".encode()), levels)
                for superlevel in (False, True):
                    for connectivity in sorted({1, ndim}):
                        out.append((f"{dtype}_{tag}_l{levels}_s{int(superlevel)}_c{connectivity}",
                                    image, dict(connectivity=connectivity, superlevel=superlevel),
                                    False))
    # 18-connectivity (dimension 0 only), max_dim below the top, 1 x n shapes
    vol = _typed((21, 18, 25), "float64", 3)
    out.append(("3d_c2_dim0", vol, dict(connectivity=2, max_dim=0), False))
    out.append(("3d_dim1_V", vol, dict(connectivity=1, max_dim=1), False))
    out.append(("3d_dim1_T", vol, dict(connectivity=3, max_dim=1), False))
    out.append(("2d_dim0_T", _typed((300, 310), "float32", 4), dict(max_dim=0), False))
    for shape in [(1, 40), (40, 1), (1, 1, 30), (1, 30, 1), (30, 1, 1), (1, 1)]:
        out.append((f"thin_{'x'.join(map(str, shape))}", _typed(shape, "float64", 5), {}, False))
    # the split path (2**14 <= pixels < 2**16, top dimension) and one 64 x 64 window
    out.append(("split_150", _typed((150, 150), "float64", 6), {}, False))
    out.append(("window_64", _typed((64, 64), "float64", 7), {}, False))
    # 64-bit integers at their extremes (no sentinel room: the bordered scan)
    for dtype in ("int64", "uint64"):
        info = np.iinfo(dtype)
        for shape in [(30, 40), (300, 270), (14, 15, 16)]:
            image = _typed(shape, dtype, 8)
            flat = image.reshape(-1)
            flat[::7] = info.max
            flat[3::11] = info.min
            for superlevel in (False, True):
                for connectivity in sorted({1, len(shape)}):
                    out.append((f"extreme_{dtype}_{'x'.join(map(str, shape))}_s{int(superlevel)}"
                                f"_c{connectivity}", image,
                                dict(connectivity=connectivity, superlevel=superlevel), False))
    # batches: a stack (batch path), a stack of 64-bit extremes, a list of shapes
    out.append(("batch_stack_f32", _typed((64, 32, 32), "float32", 9), {}, True))
    out.append(("batch_stack_u8_V", _typed((40, 20, 30), "uint8", 10, 7),
                dict(connectivity=1, max_dim=0), True))
    stack = _typed((6, 20, 20), "int64", 11)
    stack[:, 0, 0] = np.iinfo(np.int64).max
    out.append(("batch_stack_extreme", stack, {}, True))
    out.append(("batch_list", [_typed(s, "float64", 12 + i) for i, s in
                               enumerate([(30, 30), (200, 400), (10, 50), (256, 256)])], {}, True))
    out.append(("batch_list_3d", [_typed(s, "float32", 20 + i) for i, s in
                                  enumerate([(10, 12, 14), (30, 20, 25)])], {}, True))
    # large 2D images
    out.append(("noise_1024_dim0_V", _typed((1024, 1024), "float64", 30),
                dict(max_dim=0, connectivity=1), False))
    out.append(("noise_1024_V", _typed((1024, 1024), "float64", 30), dict(connectivity=1), False))
    out.append(("noise_700_u16_T", _typed((700, 650), "uint16", 31), {}, False))
    if quick:
        return out
    import skimage.data
    camera = skimage.data.camera()
    out.append(("camera_T", camera, {}, False))
    out.append(("camera_V_super", camera, dict(connectivity=1, superlevel=True), False))
    # volumes: noise and smooth, V and T, both filtrations
    for tag, image in [("noise64", _typed((64, 64, 64), "float32", 40)),
                       ("noise64_u8", _typed((64, 64, 64), "uint8", 41)),
                       ("smooth64", _smooth((64, 64, 64), 2, 42)),
                       ("noise96", _typed((96, 90, 80), "float64", 43)),
                       ("smooth96", _smooth((96, 96, 96), 2, 44)),
                       # the counting sort of 8- and 16-bit volumes, tie-heavy ones too
                       ("noise48_u16", _typed((48, 50, 52), "uint16", 45)),
                       ("ties48_u16", _typed((48, 50, 52), "uint16", 46, 300)),
                       ("ties48_u8", _typed((48, 50, 52), "uint8", 47, 5)),
                       ("smooth64_u16", (_smooth((64, 64, 64), 2, 48) * 60000).astype(np.uint16))]:
        for connectivity in (1, 3):
            for superlevel in (False, True):
                out.append((f"{tag}_c{connectivity}_s{int(superlevel)}", image,
                            dict(connectivity=connectivity, superlevel=superlevel), False))
    for name in ("mni152_t1_1mm.npz", "neurovault_10426_stat.npz"):
        path = DATA / name
        if not path.exists():
            print(f"skipped {path} (not there)", file=sys.stderr)
            continue
        volume = np.load(path)["volume"]
        for connectivity in (1, 3):
            for superlevel in (False, True):
                out.append((f"{name.split('.')[0]}_c{connectivity}_s{int(superlevel)}", volume,
                            dict(connectivity=connectivity, superlevel=superlevel), False))
    return out


def fields(images, kwargs, batch):
    """Every field of the diagrams of one case, name -> array."""
    diagrams = fasttopo.persistence_batch(images, **kwargs) if batch else \
        [fasttopo.persistence(images, **kwargs)]
    out = {}
    for i, d in enumerate(diagrams):
        for field in ("dim", "birth", "death", "birth_index", "death_index"):
            out[f"{i}/{field}"] = np.asarray(getattr(d, field))
        for field in ("exact_birth", "exact_death"):
            value = getattr(d, field, None)
            if value is not None:
                out[f"{i}/{field}"] = np.asarray(value)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["dump", "check"])
    parser.add_argument("path", type=pathlib.Path)
    parser.add_argument("--quick", action="store_true", help="without camera and the volumes")
    parser.add_argument("--only", help="only cases whose name contains this")
    args = parser.parse_args(argv)
    print(f"fasttopo from {pathlib.Path(fasttopo.__file__).parent}", file=sys.stderr)
    selected = [c for c in cases(args.quick) if args.only is None or args.only in c[0]]
    if args.action == "dump":
        arrays = {}
        for name, images, kwargs, batch in selected:
            for key, value in fields(images, kwargs, batch).items():
                arrays[f"{name}/{key}"] = value
        np.savez_compressed(args.path, **arrays)
        print(f"{len(selected)} cases, {len(arrays)} arrays -> {args.path}")
        return 0
    with np.load(args.path) as ref:
        reference = {k: ref[k] for k in ref.files}
    bad = 0
    for name, images, kwargs, batch in selected:
        found = fields(images, kwargs, batch)
        expected = {k[len(name) + 1:]: v for k, v in reference.items()
                    if k.startswith(name + "/") and k[len(name) + 1:].split("/")[0].isdigit()}
        if not expected:
            print(f"MISSING {name} (not in the dump)")
            bad += 1
            continue
        differ = [k for k in sorted(set(found) | set(expected))
                  if k not in found or k not in expected
                  or found[k].dtype != expected[k].dtype
                  or not np.array_equal(found[k], expected[k])]
        if differ:
            bad += 1
            print(f"DIFFER {name}: {differ[:6]}")
    print(f"{len(selected)} cases checked, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
