"""A sheaf as a UWD: the composite's gradient flow is minus the sheaf Laplacian, and gradient
descent on it (sheaf diffusion, via co.solve) converges to the projection onto the sections."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given

import catopt as co
from catopt.sheaves import distance, quadratic, random_sheaf, to_problem, to_uwd
from tests.helpers.sheaves import dense_coboundary, sheaves


@given(sheaves)
def test_gradient_flow_is_minus_the_laplacian(case) -> None:
    s, dims, edges = case
    D = dense_coboundary(dims, edges)
    rng = np.random.default_rng(3)
    x, b = rng.standard_normal(s.n), rng.standard_normal(s.m)
    flow = co.gradient_flow(to_problem(s, b))
    np.testing.assert_allclose(flow.vector_field(x), -(D.T @ (D @ x - b)), atol=1e-10)
    # nonlinear potentials: minus the nonlinear Laplacian, mixing potentials across edges
    pots = [quadratic() if k % 2 else quadratic() + distance(0.7, coords=[0])
            for k in range(s.n_edges)]
    flow = co.gradient_flow(to_problem(s, b, pots))
    np.testing.assert_allclose(flow.vector_field(x), -s.nonlinear_laplacian(x, pots, b),
                               atol=1e-10)
    p = to_problem(s, b)
    assert abs(p.objective(x) - 0.5 * np.sum((D @ x - b) ** 2)) < 1e-10


def test_a_missing_sign_is_caught() -> None:
    s = random_sheaf(5, 7, 2, 2, 4)
    x = np.random.default_rng(0).standard_normal(s.n)
    flow = co.gradient_flow(to_problem(s))
    assert not np.allclose(flow.vector_field(x), s.laplacian() @ x)  # the sign matters


@given(sheaves)
def test_diffusion_converges_to_the_projection(case) -> None:
    s, dims, edges = case
    D = dense_coboundary(dims, edges)
    ev = np.linalg.eigvalsh(D.T @ D)
    lmax = ev[-1]
    nonzero = ev[ev > 1e-9 * lmax]
    assume(nonzero.size == 0 or nonzero[0] / lmax > 0.02)  # at most ~1500 steps
    rng = np.random.default_rng(4)
    b = D @ rng.standard_normal(s.n)
    x0 = rng.standard_normal(s.n)
    alpha = 1.0 / lmax
    rate = 1 - alpha * (nonzero[0] if nonzero.size else lmax)
    steps = int(np.ceil(np.log(1e-12) / np.log(max(rate, 1e-3)))) + 1
    r = co.solve(to_problem(s, b), x0, step=alpha, steps=steps)
    np.testing.assert_allclose(r.x, s.project(x0, b), atol=1e-9)


def test_uwd_shape() -> None:
    s = random_sheaf(4, 6, 3, 2, 0)
    d = to_uwd(s)
    assert d.junctions == s.vertex_names and d.n_boxes == 6
    assert [d.shapes[j] for j in d.junctions] == [(3,)] * 4
    p = to_problem(s)
    assert p.n == s.n and len(p.blocks) == 1  # one family: one batched block


@pytest.mark.mpi
def test_diffusion_on_the_mpi_engine_equals_local() -> None:
    pytest.importorskip("mpi4py")
    s = random_sheaf(12, 20, 2, 2, 5)
    p = to_problem(s)
    x0 = np.random.default_rng(0).standard_normal(s.n)
    local = co.solve(p, x0, step=0.05, steps=30, engine="local")
    remote = co.solve(p, x0, step=0.05, steps=30, engine="mpi", workers=2)
    np.testing.assert_allclose(remote.x, local.x, atol=1e-12)


@pytest.mark.parametrize("pot", [quadratic(), quadratic([1, 0], weight=2.5),
                                 quadratic([0, 0, 2]), quadratic() + quadratic([1], 3.0)],
                         ids=["plain", "weighted", "repeated-coords", "sum"])
def test_a_quadratic_potential_s_hessian_is_its_own(pot) -> None:
    """``hessian(d)`` is the Hessian of ``values`` (recomputed from values at unit vectors:
    ``U(e_i + e_j) - U(e_i) - U(e_j)``), so the compiled edges are the potential's."""
    d = 3
    W = pot.hessian(d)
    E = np.eye(d)
    U = lambda y: float(pot.values(y[None, :])[0])  # noqa: E731
    ref = np.array([[U(E[i] + E[j]) - U(E[i]) - U(E[j]) if i != j else 2 * U(E[i])
                     for j in range(d)] for i in range(d)])
    np.testing.assert_allclose(W, ref, atol=1e-12)
    assert distance(1.0).hessian is None and (quadratic() + distance(1.0)).hessian is None


@given(sheaves)
def test_weighted_quadratic_edges_compile_to_the_weighted_laplacian(case) -> None:
    s, dims, edges = case
    D = dense_coboundary(dims, edges)
    rng = np.random.default_rng(5)
    w = rng.uniform(0.5, 2.0, s.n_edges)
    pots = [quadratic(weight=float(w[k])) for k in range(s.n_edges)]
    b = rng.standard_normal(s.m)
    p = to_problem(s, b, pots)
    assert p.program.compiled is not None and p.program.compiled.rest is None
    Wd = np.repeat(w, s.edge_dims)  # each edge's weight on each of its coordinates
    x = rng.standard_normal(s.n)
    np.testing.assert_allclose(p.gradient(x), D.T @ (Wd * (D @ x - b)), atol=1e-9)
    r = D @ x - b
    assert p.objective(x) == pytest.approx(0.5 * r @ (Wd * r), rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(co.gradient_flow(p).vector_field(x), -p.gradient(x), atol=1e-12)


def test_the_flow_of_a_problem_is_built_once_and_not_pickled() -> None:
    cloudpickle = pytest.importorskip("cloudpickle")
    s = random_sheaf(6, 9, 2, 2, 1)
    p = to_problem(s, np.ones(s.m))
    f = co.gradient_flow(p)
    assert co.gradient_flow(p) is f and f.program.compiled is not None
    q = cloudpickle.loads(cloudpickle.dumps(p))
    assert q.program is not p.program and co.gradient_flow(q) is not f
    x = np.random.default_rng(0).standard_normal(s.n)
    np.testing.assert_allclose(co.gradient_flow(q).vector_field(x), f.vector_field(x))
    assert co.gradient_flow(p.with_ports([])) is not f
