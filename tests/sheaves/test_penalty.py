"""The exact distance penalty's proximal map: its optimality condition, checked on random
sheaves (the sets are their affine sections, one per step of a horizon)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from catopt.sheaves import SheafError
from catopt.sheaves.horizon import horizon_sheaf, horizon_steps, horizon_target
from catopt.sheaves.penalty import prox_distance
from tests.helpers.sheaves import dense_coboundary, sheaf_from_seed, sheaves


def instance(case, T: int, seed: int = 0):
    s, dims, edges = case
    rng = np.random.default_rng(seed)
    b = dense_coboundary(dims, edges) @ rng.standard_normal(s.n)
    h = horizon_sheaf(s, T)
    bT = horizon_target(s, b, T)
    blocks = horizon_steps(s, T)
    w = 3 * rng.standard_normal(h.n)
    return h, bT, blocks, w


def optimality_gap(h, bT, blocks, w, z, r) -> float:
    """How far ``w - z`` is from ``r * d(sum_t dist(., C_t))(z)``, computed from the dense
    coboundary: off the set a block's subgradient is the unit vector away from its projection;
    on it, any normal vector (in im delta^T, orthogonal to the sections) of norm <= 1."""
    D = h.coboundary().toarray()
    Hker = np.linalg.svd(D)[2][np.linalg.matrix_rank(D):].T  # sections of delta_T
    g = w - z
    pz = h.project(z, bT)
    gap = 0.0
    for t in np.unique(blocks):
        m = blocks == t
        dz = np.linalg.norm((z - pz)[m])
        if dz > 1e-9:
            gap = max(gap, float(np.abs(g[m] - r * (z - pz)[m] / dz).max()))
        else:
            gt = np.where(m, g, 0.0)
            gap = max(gap, float(np.abs(Hker.T @ gt).max(initial=0.0)),
                      float(np.linalg.norm(gt) - r))
    return gap


@given(sheaves, st.integers(1, 3), st.floats(0.0, 5.0))
def test_prox_distance_meets_its_optimality_condition(case, T: int, r: float) -> None:
    h, bT, blocks, w = instance(case, T)
    z = prox_distance(w, h.project(w, bT), r, blocks)
    assert optimality_gap(h, bT, blocks, w, z, r) < 1e-8
    # and it is no worse than nearby points (the objective is convex)

    def objective(v: np.ndarray) -> float:
        pv = h.project(v, bT)
        return r * sum(np.linalg.norm((v - pv)[blocks == t]) for t in range(T)) \
            + 0.5 * float((v - w) @ (v - w))

    rng = np.random.default_rng(1)
    for _ in range(5):
        assert objective(z) <= objective(z + 1e-3 * rng.standard_normal(h.n)) + 1e-12


def test_a_prox_that_clips_the_whole_vector_is_caught() -> None:
    """Clipping all steps together (one block) is the prox of a different penalty: the
    per-step optimality condition fails for it (the check can fail)."""
    h, bT, blocks, w = instance(sheaf_from_seed(4), 3)
    r = 0.5
    whole = prox_distance(w, h.project(w, bT), r)  # one block
    assert optimality_gap(h, bT, blocks, w, whole, r) > 1e-3
    assert optimality_gap(h, bT, np.zeros_like(blocks), w, whole, r) < 1e-8


def test_the_dual_it_leaves_is_bounded_and_infinity_is_the_projection() -> None:
    h, bT, blocks, w = instance(sheaf_from_seed(9), 4)
    p = h.project(w, bT)
    z = prox_distance(w, p, 0.1, blocks)
    for t in range(4):  # u+ = w - z: at most r per block
        assert np.linalg.norm((w - z)[blocks == t]) <= 0.1 + 1e-12
    np.testing.assert_array_equal(prox_distance(w, p, np.inf, blocks), p)


def test_bad_arguments() -> None:
    with pytest.raises(SheafError, match="radius"):
        prox_distance(np.zeros(2), np.zeros(2), -1.0)
    with pytest.raises(SheafError, match="p has shape"):
        prox_distance(np.zeros(2), np.zeros(3), 1.0)
    with pytest.raises(SheafError, match="blocks"):
        prox_distance(np.zeros(2), np.zeros(2), 1.0, [0])


@pytest.mark.parametrize("args, match", [
    ((["a"], [0.0], 1.0), "w must be a vector of numbers"),
    (([0.0], ["a"], 1.0), "p must be a vector of numbers"),
    (([np.nan], [0.0], 1.0), "w must be finite"),
    (([0.0], [np.inf], 1.0), "p must be finite"),
    (([0.0], [0.0], True), "radius"),
    (([0.0], [0.0], np.nan), "radius"),
    (([0.0, 1.0], [0.0, 1.0], 1.0, [0.5, 1.0]), "blocks"),
    (([0.0, 1.0], [0.0, 1.0], 1.0, [0, -1]), "blocks"),
])
def test_bad_arguments_are_named(args, match) -> None:
    with pytest.raises(SheafError, match=match):
        prox_distance(*args)


def test_numpy_int_radius_is_a_number() -> None:
    w, p = np.array([3.0, 4.0]), np.zeros(2)
    np.testing.assert_allclose(prox_distance(w, p, np.int64(1)), [2.4, 3.2])  # 5 -> 4


def test_block_labels_are_any_ints_without_a_table_of_their_size() -> None:
    """Labels 0 and 2**40 are two blocks, as 0 and 1 (no bincount of 2**40 slots)."""
    rng = np.random.default_rng(0)
    w, p = rng.standard_normal(6), rng.standard_normal(6)
    labels = np.array([0, 2**40, 0, 2**40, 7, 7])
    np.testing.assert_allclose(prox_distance(w, p, 0.3, labels),
                               prox_distance(w, p, 0.3, [0, 2, 0, 2, 1, 1]))
