"""Representative cycles: where each loop and void is, drawn on the image.

Three images, the longest-lived classes of each, their cycles from
:func:`fasttopo.representative_cycles`:

* coins (``skimage.data.coins()``), sublevel filtration, T-construction:
  the dark background closes a loop around each bright coin; its cycle
  is the coin's outline (the background pixels next to the coin);
* retina vessels: the green channel of ``skimage.data.retina()`` (an
  800 x 800 crop around the optic disc), Sato vesselness (skimage,
  ``black_ridges=True``: dark vessels become bright ridges), superlevel
  filtration: the loops of the vessel network, traced along the vessels;
* the MNI152 T1 volume of ``../shared/data`` (197 x 233 x 189, turned to
  axial slices), superlevel filtration, V-construction: the voids are
  dark cavities enclosed by brighter tissue (the lateral ventricles
  first); drawn on the axial and coronal slices through the death voxel
  of the longest-lived void.

The table gives, for each image, the time of ``persistence`` and of the
cycles of the drawn pairs, measured alternately in one process (best of
``--rounds``), and their ratio.

``--cripser`` compares with cripser's representatives instead
(``compute_ph(..., representatives=True)``): the pixels of its loops of
random 20 x 20 images against ours (V-construction), and for dimension 1 of
random 4 x 5 x 5 volumes, with the Z/2 check of ``tests/helpers/reference_cycles.py``,
whether each cycle dies exactly at its pair's death voxel and whether
cripser's and ours differ by older cycles and boundaries.

    python docs/examples/representative_cycles.py            # figure and table (a minute)
    python docs/examples/representative_cycles.py --quick    # small images, seconds (tests)
    python docs/examples/representative_cycles.py --cripser  # the comparison (a minute)
"""

import argparse
import pathlib
import time

import numpy as np
import skimage.data
import skimage.filters
import skimage.transform

from fasttopo import persistence, representative_cycles

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE.parents[1] / ".." / "shared" / "data"
FIGURE = HERE / "images" / "representative_cycles.png"


def coins(quick):
    image = skimage.data.coins()
    return image[::3, ::3] if quick else image


def retina(quick):
    """Sato vesselness of the green channel (vessels: bright ridges) and the channel itself."""
    green = skimage.data.retina()[200:1000, 100:900, 1].astype(np.float64) / 255
    if quick:
        green = skimage.transform.downscale_local_mean(green, (4, 4))
    sigmas = (1, 2) if quick else (2, 4)
    return skimage.filters.sato(green, sigmas=sigmas, black_ridges=True), green


def mni(data, quick):
    """The MNI T1 volume as (z, y, x), superior and anterior first (axial slices), or None."""
    path = pathlib.Path(data) / "mni152_t1_1mm.npz"
    if not path.exists():
        return None
    with np.load(path) as archive:
        volume = archive["volume"]
    volume = np.ascontiguousarray(volume.transpose(2, 1, 0)[::-1, ::-1, :])
    return volume[::3, ::3, ::3].copy() if quick else volume


def timed(image, options, rows_of, rounds):
    """``(diagram, rows, cycles, persistence s, cycles s)``: best of ``rounds``, alternated."""
    dgm = persistence(image, **options)
    rows = rows_of(dgm)
    cycles = representative_cycles(image, rows)
    best = [np.inf, np.inf]
    for _ in range(rounds):
        for i, run in enumerate((lambda: persistence(image, **options),
                                 lambda: representative_cycles(image, rows))):
            start = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - start)
    return dgm, rows, cycles, best[0], best[1]


def cases(args):
    """name -> (image drawn, image computed, options, the rows drawn)."""
    k = args.k
    out = {"coins": (coins(args.quick), coins(args.quick), {},
                     lambda d: d.select(1).top_k(k))}
    vesselness, green = retina(args.quick)
    out["retina vessels"] = (green, vesselness, {"superlevel": True},
                             lambda d: d.select(1).top_k(k))
    volume = mni(args.data, args.quick)
    if volume is not None:
        out["MNI T1 voids"] = (volume, volume, {"superlevel": True, "connectivity": 1},
                               lambda d: d.select(2).top_k(min(k, 6)))
    return out


def table(results):
    lines = [f"{'image':<16} {'shape':<16} {'pairs':>5} {'pixels':>7} {'persistence':>12} "
             f"{'cycles':>10} {'cycles / persistence':>21}"]
    for name, r in results.items():
        lines.append(f"{name:<16} {str(r['shape']):<16} {r['pairs']:>5} {r['pixels']:>7} "
                     f"{r['persistence_ms']:>9.1f} ms {r['cycles_ms']:>7.1f} ms "
                     f"{r['ratio']:>20.2f}x")
    return "\n".join(lines)


def figure(drawn, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fasttopo.plot import plot_cycles
    panels = [(name, 0) for name in drawn if drawn[name][0].ndim == 2]
    panels += [(name, axis) for name in drawn if drawn[name][0].ndim == 3 for axis in (0, 1)]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 5.6))
    for ax, (name, axis) in zip(np.atleast_1d(axes), panels):
        image, rows, cycles = drawn[name]
        if image.ndim == 3:
            where = int(rows.death_coordinates()[0][axis])
            plot_cycles(image, rows, cycles, ax=ax, axis=axis, index=where, numbers=False)
            ax.set_title(f"{name}: {'axial' if axis == 0 else 'coronal'} slice {where}",
                         fontsize=10)
        else:
            plot_cycles(image, rows, cycles, ax=ax, numbers=False)
            ax.set_title(f"{name}: {len(rows)} longest-lived loops", fontsize=10)
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=60)
    plt.close(fig)


def _cripser_pixels(cells):
    """Pixels of a 2D V-construction chain of cripser: the ends of its edges."""
    out = set()
    for x, y, _, t in np.asarray(cells):
        out |= {(int(x), int(y)), (int(x) + (t == 0), int(y) + (t == 1))}
    return out


def _cripser_chain(cx, cells):
    """A chain of cripser (edge along axis t from (x, y, z)) in the reference complex."""
    chain = 0
    for x, y, z, t in np.asarray(cells):
        cell = [2 * int(x), 2 * int(y), 2 * int(z)]
        cell[int(t)] += 1
        chain ^= 1 << cx.bit[tuple(cell)]
    return chain


def compare_cripser(images=20, volumes=10):
    """Counts of the comparison with cripser's representatives (see the module docstring)."""
    import sys

    import cripser
    sys.path.insert(0, str(HERE.parents[1] / "tests"))
    from helpers.reference_cycles import Complex, filtration_rank
    loops = {"loops": 0, "equal": 0, "ours inside theirs": 0}
    for seed in range(images):
        image = np.random.default_rng(seed).random((20, 20))
        dgm = persistence(image, connectivity=1).select(1)
        ours = {(tuple(b), tuple(d)): {tuple(p) for p in c.tolist()} for b, d, c in
                zip(dgm.birth_coordinates().tolist(), dgm.death_coordinates().tolist(),
                    representative_cycles(image, dgm))}
        pairs, cycles = cripser.compute_ph(image, filtration="V", representatives=True)
        for row, cells in zip(pairs, cycles):
            if row[0] != 1:
                continue
            mine = ours[((int(row[3]), int(row[4])), (int(row[6]), int(row[7])))]
            theirs = _cripser_pixels(cells)
            loops["loops"] += 1
            loops["equal"] += mine == theirs
            loops["ours inside theirs"] += mine < theirs
    counts = {}
    for construction, connectivity in (("V", 1), ("T", 3)):
        c = dict.fromkeys(["pairs", "same pairs", "ours die at d", "cripser's die at d",
                           "one loop at b", "homologous", "several loops at b",
                           "ours die at d (several)", "cripser's die at d (several)"], 0)
        for seed in range(volumes):
            image = np.random.default_rng(seed).random((4, 5, 5))
            dgm = persistence(image, connectivity=connectivity).select(1)
            ours = dict(zip(zip(dgm.birth_index.tolist(), dgm.death_index.tolist()),
                            representative_cycles(image, dgm)))
            rank = filtration_rank(image)
            cx = Complex(rank, construction)
            pairs, cycles = cripser.compute_ph(image, filtration=construction,
                                               representatives=True)
            for row, cells in zip(pairs, cycles):
                if row[0] != 1:
                    continue
                c["pairs"] += 1
                b = int(np.ravel_multi_index(tuple(int(v) for v in row[3:6]), image.shape))
                d = int(np.ravel_multi_index(tuple(int(v) for v in row[6:9]), image.shape))
                if (b, d) not in ours:
                    continue
                c["same pairs"] += 1
                rb, rd = rank.flat[b], rank.flat[d]
                mine = cx.chain([tuple(int(v) for v in p) for p in ours[(b, d)]])
                theirs = _cripser_chain(cx, cells)
                ok_mine = cx.in_span(mine, rb, rd) and not cx.in_span(mine, rb, rd - 1)
                ok_theirs = cx.in_span(theirs, rb, rd) and not cx.in_span(theirs, rb, rd - 1)
                c["ours die at d"] += ok_mine
                c["cripser's die at d"] += ok_theirs
                if (dgm.birth_index == b).sum() > 1:
                    c["several loops at b"] += 1
                    c["ours die at d (several)"] += ok_mine
                    c["cripser's die at d (several)"] += ok_theirs
                else:
                    c["one loop at b"] += 1
                    c["homologous"] += cx.in_span(mine ^ theirs, rb, rb)
        counts[construction] = c
    return loops, counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small images (seconds)")
    parser.add_argument("--k", type=int, default=10, help="pairs drawn per image")
    parser.add_argument("--rounds", type=int, default=None, help="timing rounds (5; quick 1)")
    parser.add_argument("--data", default=str(DATA), help="folder of mni152_t1_1mm.npz")
    parser.add_argument("--cripser", action="store_true",
                        help="compare with cripser's representatives instead")
    parser.add_argument("--out", default=None,
                        help=f"figure path (default {FIGURE.relative_to(HERE.parents[1])}; "
                             f"none with --quick)")
    args = parser.parse_args(argv)
    if args.cripser:
        loops, counts = compare_cripser(*((4, 2) if args.quick else ()))
        print(f"2D loops (V), random 20 x 20 images: {loops}")
        for construction, c in counts.items():
            print(f"dimension 1 of volumes ({construction}), random 4 x 5 x 5: {c}")
        return loops, counts
    rounds = args.rounds or (1 if args.quick else 5)
    results, drawn = {}, {}
    for name, (shown, image, options, rows_of) in cases(args).items():
        dgm, rows, cycles, t_pers, t_cyc = timed(image, options, rows_of, rounds)
        drawn[name] = (shown, rows, cycles)
        results[name] = {"shape": image.shape, "pairs": len(rows),
                         "pixels": int(sum(len(c) for c in cycles)),
                         "persistence_ms": t_pers * 1e3, "cycles_ms": t_cyc * 1e3,
                         "ratio": t_cyc / t_pers, "options": options}
    if "MNI T1 voids" not in results:
        print(f"(no MNI volume in {args.data}: its row is left out)")
    print(table(results))
    out = args.out or (None if args.quick else FIGURE)
    if out is not None:
        figure(drawn, out)
        print(f"figure: {out}")
    return results


if __name__ == "__main__":
    main()
