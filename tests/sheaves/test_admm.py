"""ADMM on random convex homological programs against a centralized KKT solve."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from catopt.sheaves import Sheaf, SheafError
from catopt.sheaves.admm import QuadraticAgent, admm, nonconvex_admm
from catopt.sheaves.potentials import distance
from tests.helpers.sheaves import dense_coboundary, sheaves


def program(case, seed: int = 0):
    s, dims, edges = case
    rng = np.random.default_rng(seed)
    agents, Ps, qs = [], [], []
    for d in dims:
        M = rng.standard_normal((d, d))
        P, q = M @ M.T + 0.5 * np.eye(d), rng.standard_normal(d)
        agents.append(QuadraticAgent(P, q))
        Ps.append(P)
        qs.append(q)
    D = dense_coboundary(dims, edges)
    b = D @ rng.standard_normal(s.n)
    n, m = s.n, s.m
    P = np.zeros((n, n))
    o = np.concatenate([[0], np.cumsum(dims)]).astype(int)
    for i, Pi in enumerate(Ps):
        P[o[i]:o[i + 1], o[i]:o[i + 1]] = Pi
    K = np.block([[P, D.T], [D, np.zeros((m, m))]])
    x_star = np.linalg.lstsq(K, np.concatenate([-np.concatenate(qs), b]), rcond=None)[0][:n]
    return s, agents, b, x_star


@settings(max_examples=25)
@given(sheaves)
def test_admm_matches_the_centralized_kkt_solve(case) -> None:
    s, agents, b, x_star = program(case)
    r = admm(s, agents, b=b, rho=1.0, iters=20000, tol=1e-11)
    assert r.converged
    assert np.abs(r.z - x_star).max() < 1e-6
    assert np.linalg.norm(r.x - r.z) < 1e-8
    assert np.abs(s.delta(r.z) - b).max() < 1e-9


def test_too_few_iterations_are_caught() -> None:
    """The same comparison fails when ADMM is stopped early (the test can fail)."""
    from tests.helpers.sheaves import sheaf_from_seed

    s, agents, b, x_star = program(sheaf_from_seed(7))
    r = admm(s, agents, b=b, rho=1.0, iters=2, tol=None)
    assert np.abs(r.z - x_star).max() > 1e-6


def test_diffusion_z_step_approaches_the_exact_one() -> None:
    s = Sheaf.constant(5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)], 2)
    rng = np.random.default_rng(0)
    agents = [QuadraticAgent(np.eye(2), rng.standard_normal(2)) for _ in range(5)]
    exact = admm(s, agents, rho=1.0, iters=300)
    approx = admm(s, agents, rho=1.0, iters=300, z_step=200, tol=None)
    # consensus on the mean of the minimizers -q_v
    mean = -np.mean([a.q for a in agents], axis=0)
    np.testing.assert_allclose(exact.z.reshape(5, 2), np.tile(mean, (5, 1)), atol=1e-9)
    np.testing.assert_allclose(approx.z, exact.z, atol=1e-4)


def test_nonconvex_admm_reaches_a_stationary_point_of_the_penalized_problem() -> None:
    """At a fixed point, grad f(z) = -rho u and delta^T grad U(delta z) = rho u, so z is a
    stationary point of f + U o delta (the potential acts as a penalty)."""
    s = Sheaf.constant(2, [(0, 1)], 2)
    agents = [QuadraticAgent(0.1 * np.eye(2), np.zeros(2)) for _ in range(2)]
    pot = distance(2.0)
    r = nonconvex_admm(s, agents, pot, rho=5.0, iters=300, z0=np.array([1.0, 0, -1.0, 0.1]))
    stationarity = 0.1 * r.z + s.nonlinear_laplacian(r.z, pot)
    assert np.abs(stationarity).max() < 1e-3 and r.primal[-1] < 1e-4  # inexact L-BFGS z-steps
    assert abs(np.linalg.norm(r.z[:2] - r.z[2:]) - 2.0) < 0.01  # about 2 apart


def test_bad_arguments() -> None:
    s = Sheaf.constant(2, [(0, 1)], 2)
    with pytest.raises(SheafError, match="2 vertices"):
        admm(s, [QuadraticAgent(np.eye(2), np.zeros(2))])
    with pytest.raises(SheafError, match="rho"):
        admm(s, [QuadraticAgent(np.eye(2), np.zeros(2))] * 2, rho=-1)
    with pytest.raises(SheafError, match="prox"):
        admm(s, [object(), object()])


@settings(max_examples=10)
@given(sheaves)
def test_the_admm_system_is_the_documented_iteration(case) -> None:
    """Five iterations through the driver against the iteration written out densely (the
    prox as one linear solve, the projection by least squares), residuals included."""
    s, agents, b, _ = program(case, seed=3)
    D = dense_coboundary(case[1], case[2])
    P = [a.P for a in agents]
    q = [a.q for a in agents]
    o = s.vertex_offsets
    rho, z, u = 0.7, np.zeros(s.n), np.zeros(s.n)
    primal, dual = [], []
    for _ in range(5):
        w = z - u
        x = np.concatenate([np.linalg.solve(P[i] + rho * np.eye(len(q[i])),
                                            rho * w[o[i]:o[i + 1]] - q[i])
                            for i in range(len(agents))])
        v = x + u
        z_new = v - np.linalg.pinv(D) @ (D @ v - b)  # the projection onto {D z = b}
        u = u + x - z_new
        primal.append(np.linalg.norm(x - z_new))
        dual.append(rho * np.linalg.norm(z_new - z))
        z = z_new
    r = admm(s, agents, b=b, rho=rho, iters=5, tol=None)
    assert r.iterations == 5 and not r.converged
    np.testing.assert_allclose(r.z, z, atol=1e-9)
    np.testing.assert_allclose(r.u, u, atol=1e-9)
    np.testing.assert_allclose(r.primal, primal, atol=1e-9)
    np.testing.assert_allclose(r.dual, dual, atol=1e-9)


def test_admm_checkpoints_and_resumes_through_the_driver(tmp_path) -> None:
    from catopt.sheaves.admm import admm_system, projection, run_admm

    s, agents, b, _ = program((Sheaf([2, 2, 2], [(0, 1, np.eye(2), np.eye(2)),
                                                 (1, 2, np.eye(2), np.eye(2))]),
                               [2, 2, 2], [(0, 1, np.eye(2), np.eye(2)),
                                           (1, 2, np.eye(2), np.eye(2))]))
    system = admm_system(s, agents, 1.0, projection(s, s.target(b)))
    full = run_admm(system, 30)
    run_admm(system, 12, checkpoint=tmp_path)
    resumed = run_admm(system, 30, resume=tmp_path)
    np.testing.assert_array_equal(resumed.z, full.z)
    np.testing.assert_array_equal(resumed.u, full.u)


def _chain_system(rho: float):
    from catopt.sheaves.admm import admm_system, projection

    s, agents, b, _ = program((Sheaf([2, 2, 2], [(0, 1, np.eye(2), np.eye(2)),
                                                 (1, 2, np.eye(2), np.eye(2))]),
                               [2, 2, 2], [(0, 1, np.eye(2), np.eye(2)),
                                           (1, 2, np.eye(2), np.eye(2))]))
    return s, admm_system(s, agents, rho, projection(s, s.target(b)))


@pytest.mark.parametrize("rho", [0.3, 3.0])
def test_run_admm_reads_the_dual_residual_scale_from_the_system(rho: float) -> None:
    """The dual residual is rho |z_k - z_{k-1}| with the system's own rho, recomputed from
    the iterates of two runs (k - 1 and k iterations)."""
    from catopt.sheaves.admm import run_admm

    _, system = _chain_system(rho)
    assert system.rho == rho
    for k in (1, 4):
        before, after = run_admm(system, k - 1), run_admm(system, k)
        assert after.dual[-1] == pytest.approx(rho * np.linalg.norm(after.z - before.z))
        assert after.primal[-1] == pytest.approx(np.linalg.norm(after.x - after.z))


@pytest.mark.parametrize("kwargs, match", [
    ({"iters": -1}, "iters"), ({"iters": 2.5}, "iters"), ({"iters": True}, "iters"),
    ({"iters": 3, "tol": -1.0}, "tol"), ({"iters": 3, "tol": "x"}, "tol"),
    ({"iters": 3, "z0": np.zeros(5)}, "z0"), ({"iters": 3, "z0": ["a"] * 6}, "z0"),
    ({"iters": 3, "u0": np.full(6, np.nan)}, "u0"),
    ({"iters": 3, "u0": np.zeros((2, 3))}, "u0"),
])
def test_run_admm_bad_arguments(kwargs, match) -> None:
    from catopt.sheaves.admm import run_admm

    _, system = _chain_system(1.0)
    with pytest.raises(SheafError, match=match):
        run_admm(system, **kwargs)


def test_run_admm_refuses_a_system_not_made_by_admm_system() -> None:
    """A plain system of the right size has no rho to scale the dual residual by."""
    from catopt.sheaves.admm import run_admm
    from catopt.systems.open_system import OpenDiscreteSystem

    with pytest.raises(SheafError, match="admm_system"):
        run_admm(OpenDiscreteSystem(lambda x: x, 24), 3)


def test_admm_system_refuses_a_bad_rho_or_z_step() -> None:
    from catopt.sheaves.admm import admm_system, projection

    s = Sheaf.constant(2, [(0, 1)], 2)
    agents = [QuadraticAgent(np.eye(2), np.zeros(2))] * 2
    with pytest.raises(SheafError, match="rho"):
        admm_system(s, agents, 0.0, projection(s, s.target(None)))
    with pytest.raises(SheafError, match="z_step"):
        admm_system(s, agents, 1.0, "exact")
