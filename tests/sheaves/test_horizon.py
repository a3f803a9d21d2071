"""The sheaf on a horizon against two independent dense assemblies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from catopt.sheaves import Sheaf, SheafError
from catopt.sheaves.horizon import horizon_sheaf, horizon_steps, horizon_target
from tests.helpers.sheaves import dense_coboundary, sheaf_from_seed, sheaves


def time_major_to_blocks(sizes: list[int], T: int) -> np.ndarray:
    """Permutation ``P`` (dense) with ``P @ (time-major) = (block-major)``: the time-major
    vector lists every block's ``sizes[i]`` coordinates at step 0, then at step 1, ...; the
    block-major one lists block 0 at every step, then block 1, ..."""
    n = sum(sizes) * T
    P = np.zeros((n, n))
    off = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    row = 0
    for i, d in enumerate(sizes):
        for t in range(T):
            for j in range(d):
                P[row, t * off[-1] + off[i] + j] = 1.0
                row += 1
    return P


@given(sheaves, st.integers(1, 4))
def test_horizon_coboundary_is_the_permuted_kronecker_product(case, T: int) -> None:
    """delta_T = Pi_E (I_T kron delta) Pi_V^T, and it equals the dense assembly of the sheaf
    whose maps are I_T kron F."""
    s, dims, edges = case
    h = horizon_sheaf(s, T)
    D = dense_coboundary(dims, edges)
    PV = time_major_to_blocks(dims, T)
    PE = time_major_to_blocks([e[2].shape[0] for e in edges], T)
    np.testing.assert_allclose(h.coboundary().toarray(), PE @ np.kron(np.eye(T), D) @ PV.T,
                               atol=1e-14)
    blockwise = [(u, v, np.kron(np.eye(T), Fu), np.kron(np.eye(T), Fv))
                 for u, v, Fu, Fv in edges]
    np.testing.assert_allclose(h.coboundary().toarray(),
                               dense_coboundary([d * T for d in dims], blockwise), atol=1e-14)
    assert h.vertex_names == s.vertex_names and h.edge_names == s.edge_names


def test_the_kronecker_factors_in_the_wrong_order_are_caught() -> None:
    """F kron I_T (coordinate-major stalks) is a different coboundary: the law can fail."""
    s, dims, edges = sheaf_from_seed(5)
    T = 3
    wrong = [(u, v, np.kron(Fu, np.eye(T)), np.kron(Fv, np.eye(T))) for u, v, Fu, Fv in edges]
    assert not np.allclose(horizon_sheaf(s, T).coboundary().toarray(),
                           dense_coboundary([d * T for d in dims], wrong))


@given(sheaves, st.integers(1, 4))
def test_horizon_projection_projects_every_step(case, T: int) -> None:
    """{delta_T z = b_T} is the product of {delta z_t = b}: its projection is each step's."""
    s, dims, edges = case
    rng = np.random.default_rng(3)
    b = dense_coboundary(dims, edges) @ rng.standard_normal(s.n)
    X = rng.standard_normal((T, s.n))  # time-major: row t holds every vertex at step t
    PV = time_major_to_blocks(dims, T)
    h = horizon_sheaf(s, T)
    z = h.project(PV @ X.ravel(), horizon_target(s, b, T))
    per_step = np.stack([s.project(X[t], b) for t in range(T)])
    np.testing.assert_allclose(z, PV @ per_step.ravel(), atol=1e-9)
    np.testing.assert_allclose(h.delta(z), horizon_target(s, b, T), atol=1e-9)
    PE = time_major_to_blocks([e[2].shape[0] for e in edges], T)
    np.testing.assert_allclose(horizon_target(s, b, T), PE @ np.tile(b, T), atol=0)
    np.testing.assert_array_equal(horizon_steps(s, T),
                                  PV @ np.repeat(np.arange(T), s.n).astype(float))


def test_one_step_is_the_sheaf_itself() -> None:
    s, _, _ = sheaf_from_seed(11)
    np.testing.assert_array_equal(horizon_sheaf(s, 1).coboundary().toarray(),
                                  s.coboundary().toarray())


def test_bad_arguments() -> None:
    s = Sheaf.constant(2, [(0, 1)], 2)
    with pytest.raises(SheafError, match="steps must be a positive int"):
        horizon_sheaf(s, 0)
    with pytest.raises(SheafError, match="needs a Sheaf"):
        horizon_sheaf("not a sheaf", 2)  # type: ignore[arg-type]
    with pytest.raises(SheafError, match="b must be a 1-cochain"):
        horizon_target(s, np.zeros(3), 2)


def test_from_groups_refuses_an_edge_in_no_group() -> None:
    s = horizon_sheaf(sheaf_from_seed(2)[0], 2)
    assert Sheaf.from_groups(s.vertex_names, s.vertex_dims, s.edge_names,
                             s.groups).coboundary().nnz == s.coboundary().nnz
    with pytest.raises(SheafError, match="every edge must be in one edge group"):
        Sheaf.from_groups(s.vertex_names, s.vertex_dims, [*s.edge_names, "extra"], s.groups)
    with pytest.raises(SheafError, match="stalk dimensions"):
        Sheaf.from_groups(s.vertex_names, s.vertex_dims + 1, s.edge_names, s.groups)


@pytest.mark.parametrize("call, match", [
    (lambda s: horizon_target(None, None, 2), r"horizon_target needs a Sheaf, got NoneType"),
    (lambda s: horizon_steps("x", 2), r"horizon_steps needs a Sheaf, got str"),
    (lambda s: horizon_sheaf(s, True), r"steps must be a positive int"),
    (lambda s: horizon_target(s, None, 0), r"steps must be a positive int"),
    (lambda s: horizon_target(s, None, 1.5), r"steps must be a positive int"),
    (lambda s: horizon_steps(s, "2"), r"steps must be a positive int"),
    (lambda s: horizon_steps(s, -3), r"steps must be a positive int"),
])
def test_every_horizon_function_checks_its_arguments(call, match) -> None:
    with pytest.raises(SheafError, match=match):
        call(Sheaf.constant(2, [(0, 1)], 2))


def test_numpy_int_steps_are_taken() -> None:
    s = Sheaf.constant(2, [(0, 1)], 2)
    np.testing.assert_array_equal(horizon_steps(s, np.int64(2)), [0, 0, 1, 1, 0, 0, 1, 1])
