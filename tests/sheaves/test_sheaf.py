"""Sheaf operators against an independent dense assembly; sections and the exact projection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt.sheaves import Sheaf, SheafError, random_sheaf
from tests.helpers.sheaves import (
    dense_coboundary,
    dense_laplacian_by_vertex,
    sheaf_from_seed,
    sheaves,
)


@given(sheaves)
def test_coboundary_and_laplacian_match_dense_assembly(case) -> None:
    s, dims, edges = case
    D = dense_coboundary(dims, edges)
    np.testing.assert_allclose(s.coboundary().toarray(), D, atol=1e-14)
    np.testing.assert_allclose(s.laplacian().toarray(), dense_laplacian_by_vertex(dims, edges),
                               atol=1e-12)
    x = np.random.default_rng(0).standard_normal(s.n)
    np.testing.assert_allclose(s.delta(x), D @ x, atol=1e-12)


def test_a_sign_error_is_caught() -> None:
    """The comparison above fails for a coboundary with the other sign convention."""
    s, dims, edges = sheaf_from_seed(3)
    flipped = [(v, u, Fv, Fu) for u, v, Fu, Fv in edges]  # F_v x_v - F_u x_u
    assert not np.allclose(Sheaf(dims, flipped).coboundary().toarray(),
                           dense_coboundary(dims, edges))


@given(sheaves)
def test_sections_are_the_kernel(case) -> None:
    s, dims, edges = case
    H = s.sections()
    D = dense_coboundary(dims, edges)
    assert H.shape[1] == s.n - np.linalg.matrix_rank(D)
    np.testing.assert_allclose(D @ H, 0, atol=1e-10)
    np.testing.assert_allclose(H.T @ H, np.eye(H.shape[1]), atol=1e-10)


@given(sheaves, st.sampled_from(["factor", "cg"]))
def test_projection_onto_affine_sections(case, method: str) -> None:
    s, dims, edges = case
    rng = np.random.default_rng(1)
    D = dense_coboundary(dims, edges)
    b = D @ rng.standard_normal(s.n)  # in the image: the affine sections are not empty
    x = rng.standard_normal(s.n)
    z = s.project(x, b, method=method)
    assert np.abs(D @ z - b).max() < 1e-10
    # orthogonal: x - z is orthogonal to every section, and z minimizes |z - x| (KKT solve)
    m, n = D.shape
    K = np.block([[np.eye(n), D.T], [D, np.zeros((m, m))]])
    ref = np.linalg.lstsq(K, np.concatenate([x, b]), rcond=None)[0][:n]
    np.testing.assert_allclose(z, ref, atol=1e-8)


def test_projection_refuses_targets_outside_the_image() -> None:
    # a triangle of the constant sheaf R: offsets around the cycle must sum to zero
    s = Sheaf.constant(3, [(0, 1), (1, 2), (2, 0)], 1)
    with pytest.raises(SheafError, match="not in the image"):
        s.project(np.zeros(3), [1.0, 1.0, 1.0])
    z = s.project(np.zeros(3), [1.0, 1.0, -2.0])
    np.testing.assert_allclose(s.delta(z), [1.0, 1.0, -2.0], atol=1e-12)


def test_constant_sheaf_laplacian_is_graph_laplacian_kron_identity() -> None:
    import networkx as nx

    g = nx.gnm_random_graph(8, 14, seed=2)
    s = Sheaf.constant(8, list(g.edges), 3)
    Lg = nx.laplacian_matrix(g, nodelist=range(8)).toarray()
    np.testing.assert_allclose(s.laplacian().toarray(), np.kron(Lg, np.eye(3)))


@given(sheaves)
def test_nonlinear_laplacian_is_the_gradient_of_the_potential(case) -> None:
    s, dims, edges = case
    rng = np.random.default_rng(2)
    pot = co.sheaves.quadratic() + co.sheaves.distance(1.5, coords=[0])
    x, b = rng.standard_normal(s.n), rng.standard_normal(s.m)
    D = dense_coboundary(dims, edges)

    def energy(z: np.ndarray) -> float:
        r = D @ z - b
        off = np.concatenate([[0], np.cumsum([e[2].shape[0] for e in edges])]).astype(int)
        return sum(0.5 * r[off[k]:off[k + 1]] @ r[off[k]:off[k + 1]]
                   + (r[off[k]] ** 2 - 2.25) ** 2 for k in range(len(edges)))

    h = 1e-6
    fd = np.array([(energy(x + h * e) - energy(x - h * e)) / (2 * h) for e in np.eye(s.n)])
    np.testing.assert_allclose(s.nonlinear_laplacian(x, pot, b), fd, rtol=1e-5, atol=1e-5)
    # the quadratic potential gives the linear Laplacian
    np.testing.assert_allclose(s.nonlinear_laplacian(x, None, b),
                               D.T @ (D @ x) - D.T @ b, atol=1e-10)


def test_bad_input_names_what_is_wrong() -> None:
    with pytest.raises(SheafError, match="vertex 'b' on edge 'e0' has 3 columns"):
        Sheaf({"a": 2, "b": 2}, [("a", "b", np.eye(2), np.ones((2, 3)))])
    with pytest.raises(SheafError, match="2 rows but the edge stalk has dimension 1"):
        Sheaf({"a": 2, "b": 2}, [("a", "b", np.ones((1, 2)), np.eye(2))])
    with pytest.raises(SheafError, match="unknown vertex 'c'"):
        Sheaf({"a": 2, "b": 2}, [("a", "c", np.eye(2), np.eye(2))])
    with pytest.raises(SheafError, match="loop"):
        Sheaf({"a": 2}, [("a", "a", np.eye(2), np.eye(2))])
    with pytest.raises(SheafError, match="positive int"):
        Sheaf({"a": 0}, [])
    s = random_sheaf(4, 5, 2, 2, 0)
    with pytest.raises(SheafError, match="0-cochain of length 8"):
        s.delta(np.zeros(7))
    with pytest.raises(co.CatoptError):
        s.project(np.zeros(8), method="qr")


def test_build_is_linear_in_size() -> None:
    import time

    def build(nv: int) -> float:
        t = time.perf_counter()
        s = random_sheaf(nv, 3 * nv, 4, 4, 0)
        s.laplacian()
        return time.perf_counter() - t

    build(2000)
    small, big = min(build(5000) for _ in range(3)), min(build(50000) for _ in range(3))
    assert big < 25 * small, (small, big)  # 10x the size; quadratic would be 100x


def _grouped():
    """A sheaf whose edges fall in three groups (three shape signatures)."""
    s = Sheaf([1, 2, 2], [(0, 1, np.ones((1, 1)), np.ones((1, 2))),
                          (1, 2, np.eye(2), np.eye(2)),
                          (2, 0, np.ones((1, 2)), np.ones((1, 1)))])
    assert len(s.groups) == 3
    return s


def _from_groups_bad_calls():
    from dataclasses import replace

    s = _grouped()
    g0, g1, g2 = s.groups
    names, dims, enames = s.vertex_names, s.vertex_dims, s.edge_names
    return [
        ((names, dims[:2], enames, s.groups), r"vertex_dims must be one positive int per "),
        ((names, [1, 2, 0], enames, s.groups), r"vertex_dims"),
        ((names, dims, enames, [g0, "x", g2]), r"edge group 1 must be an EdgeGroup"),
        ((names, dims, enames, [replace(g0, edges=g0.edges + 7), g1, g2]),
         r"edge group 0 .*: edge index \d+ is out of range 0\.\.2"),
        ((names, dims, enames, [g0, replace(g1, head=g1.head + 5), g2]),
         r"edge group 1 .*: head vertex \d+ is out of range 0\.\.2"),
        ((names, dims, enames, [g0, replace(g1, tail=-g1.tail - 1), g2]),
         r"edge group 1 .*: tail vertex -\d+ is out of range"),
        ((names, dims, enames, [g0, replace(g1, edges=g1.edges[:0]), g2]),
         r"head must be 0 ints \(one per edge of the group\)"),
        ((names, dims, enames, [g0, g1, g1, g2]),
         r"exactly one edge group: edges \['e1'\] are listed more than once"),
    ]


@pytest.mark.parametrize("args, match", _from_groups_bad_calls())
def test_from_groups_names_the_group_and_edge_at_fault(args, match) -> None:
    with pytest.raises(SheafError, match=match):
        Sheaf.from_groups(*args)


def test_from_groups_rebuilds_the_sheaf_from_its_own_groups() -> None:
    s = _grouped()
    t = Sheaf.from_groups(s.vertex_names, s.vertex_dims, s.edge_names, s.groups)
    assert (t.coboundary() != s.coboundary()).nnz == 0
