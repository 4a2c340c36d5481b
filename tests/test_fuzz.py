"""Hypothesis fuzzing on small shapes, few grey levels and odd values."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from fasttopo import persistence
from helpers.oracles import gudhi_pairs, ours
from helpers.reference import reference_dim0

values = st.one_of(st.integers(0, 3).map(float),
                   st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32))


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=9),
              elements=values),
       st.booleans(), st.booleans())
def test_fuzz_2d_against_gudhi(image, superlevel, vconstruction):
    connectivity = 1 if vconstruction else image.ndim
    dgm = persistence(image, connectivity=connectivity, superlevel=superlevel)
    assert ours(dgm) == gudhi_pairs(image, connectivity, superlevel)
    finite = dgm.death_index >= 0
    assert np.all(image.flat[dgm.birth_index] == dgm.birth)
    assert np.all(image.flat[dgm.death_index[finite]] == dgm.death[finite])


@given(arrays(np.int8, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
              elements=st.integers(-2, 2)),
       st.booleans(), st.integers(1, 3))
def test_fuzz_dimension_0_any_ndim_against_reference(image, superlevel, connectivity):
    # every connectivity, 3D connectivity=2 (18-neighbour) too, against a plain
    # union-find over the pixel graph: values and birth/death pixels
    connectivity = min(connectivity, image.ndim)
    dgm = persistence(image, max_dim=0, connectivity=connectivity, superlevel=superlevel)
    want = sorted((float(b), float(e), int(bp), int(dp)) for _, b, e, bp, dp in
                  reference_dim0(image, connectivity, superlevel))
    got = sorted(zip(dgm.birth.tolist(), dgm.death.tolist(), dgm.birth_index.tolist(),
                     dgm.death_index.tolist()))
    assert got == want
