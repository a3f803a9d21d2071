"""The MPC agent's proximal QP against a dense KKT solve, and run_mpc's coupling options."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("osqp")

from catopt.sheaves import Sheaf, SheafError  # noqa: E402
from catopt.sheaves.mpc import MPCAgent, double_integrator, run_mpc  # noqa: E402


def kkt_prox(A, B, Q, R, N, x0, xbar, coupled, w, rho) -> np.ndarray:
    """The unconstrained-control QP by its KKT system, written from the definition: variables
    (x_0..x_{N-1}, u_0..u_{N-2}); cost sum_{k<N-1} (x_k - xbar)^T Q (x_k - xbar) + u_k^T R u_k
    + rho/2 sum_{k in coupled} |x_k - w_k|^2; x_0 = x0, x_{k+1} = A x_k + B u_k."""
    nx, nu = B.shape
    nv = N * nx + (N - 1) * nu
    H, g = np.zeros((nv, nv)), np.zeros(nv)
    for k in range(N - 1):
        sl = slice(k * nx, (k + 1) * nx)
        H[sl, sl] += 2 * Q
        g[sl] -= 2 * Q @ xbar
        su = slice(N * nx + k * nu, N * nx + (k + 1) * nu)
        H[su, su] += 2 * R
    for j, k in enumerate(coupled):
        sl = slice(k * nx, (k + 1) * nx)
        H[sl, sl] += rho * np.eye(nx)
        g[sl] -= rho * w[j * nx:(j + 1) * nx]
    rows, rhs = [], []
    first = np.zeros((nx, nv))
    first[:, :nx] = np.eye(nx)
    rows.append(first)
    rhs.append(x0)
    for k in range(N - 1):
        r = np.zeros((nx, nv))
        r[:, (k + 1) * nx:(k + 2) * nx] = np.eye(nx)
        r[:, k * nx:(k + 1) * nx] = -A
        r[:, N * nx + k * nu:N * nx + (k + 1) * nu] = -B
        rows.append(r)
        rhs.append(np.zeros(nx))
    E = np.vstack(rows)
    K = np.block([[H, E.T], [E, np.zeros((len(E), len(E)))]])
    sol = np.linalg.solve(K, np.concatenate([-g, np.concatenate(rhs)]))
    return sol[:N * nx].reshape(N, nx)[list(coupled)].ravel()


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 7), st.sampled_from([None, 1, 2]))
def test_prox_matches_a_kkt_solve(seed: int, N: int, first: int | None) -> None:
    rng = np.random.default_rng(seed)
    A, B = double_integrator(0.1)
    M = rng.standard_normal((4, 4))
    Q, R = M @ M.T / 4, np.eye(2) * rng.uniform(0.5, 2)
    x0, xbar = rng.standard_normal(4), rng.standard_normal(4)
    a = MPCAgent(A, B, Q, R, N, (-1e6, 1e6), x_target=xbar, x0=x0, eps=1e-10)
    a.couple(first)
    coupled = list(range(N - 1 if first is None else first, N))
    assert list(a.coupled) == coupled
    w = rng.standard_normal(4 * len(coupled))
    np.testing.assert_allclose(a.prox(w, 2.0), kkt_prox(A, B, Q, R, N, x0, xbar, coupled, w,
                                                        2.0), atol=1e-6)


def test_a_wrong_coupled_set_is_caught() -> None:
    """The same comparison fails when the KKT solve couples other states (it can fail)."""
    rng = np.random.default_rng(0)
    A, B = double_integrator(0.1)
    a = MPCAgent(A, B, np.eye(4), np.eye(2), 5, x0=rng.standard_normal(4), eps=1e-10)
    a.couple(2)
    w = rng.standard_normal(12)
    wrong = kkt_prox(A, B, np.eye(4), np.eye(2), 5, a.x, np.zeros(4), [1, 2, 3], w, 2.0)
    assert not np.allclose(a.prox(w, 2.0), wrong, atol=1e-3)


def test_stationary_formation_on_the_trajectory_with_the_exact_penalty() -> None:
    """Two agents whose costs pull them to 0, offset 2 in x: coupling every planned state with
    a penalty above the multiplier (|lambda*_t| = 2 |(p_1, p_2)| = 2 sqrt 2) meets the offset;
    the terminal coupling (AO.jl) settles short of it, and so does a penalty below it."""
    A, B = double_integrator(0.1)
    P = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0]])
    s = Sheaf([4, 4], [(0, 1, P, P)])
    b = np.array([2.0, 0.0])

    def offset_error(**kw) -> float:
        ags = [MPCAgent(A, B, np.diag([1.0, 0, 1, 0]), np.eye(2), 10, (-2, 2), x0=x0)
               for x0 in ([0.5, 0, 0.5, 0], [-0.5, 0, 0, 0])]
        r = run_mpc(s, ags, 120, b=b, **kw)
        p = r.states[-1][:, [0, 2]]
        return float(np.abs(p[0] - p[1] - b).max())

    assert offset_error(couple_from=1, penalty=4.0, warm_dual=True) < 1e-3
    assert offset_error() > 0.1
    assert offset_error(couple_from=1, penalty=2.0, warm_dual=True) > 0.1


def test_bad_arguments() -> None:
    A, B = double_integrator(0.1)
    a = MPCAgent(A, B, np.eye(4), np.eye(2), 5)
    with pytest.raises(SheafError, match="first must be an int in 1..4"):
        a.couple(0)
    with pytest.raises(SheafError, match="w must have length 4"):
        a.prox(np.zeros(8), 1.0)
    s = Sheaf.constant(2, [(0, 1)], 4)
    ags = [MPCAgent(A, B, np.eye(4), np.eye(2), 5), MPCAgent(A, B, np.eye(4), np.eye(2), 6)]
    with pytest.raises(SheafError, match="one horizon"):
        run_mpc(s, ags, 1, couple_from=1)
    with pytest.raises(SheafError, match="penalty must be a positive"):
        run_mpc(s, ags, 1, penalty=-1.0)
    with pytest.raises(SheafError, match="couple_from and penalty are for the projection"):
        from catopt.sheaves import quadratic

        run_mpc(s, ags, 1, potential=quadratic(), penalty=1.0)


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": "a"}, "steps must be an int"),
    ({"steps": -1}, "steps must be an int >= 0"),
    ({"steps": 2.5}, "steps"),
    ({"admm_iters": -1}, "admm_iters must be an int >= 1"),
    ({"admm_iters": 0}, "admm_iters must be an int >= 1"),
    ({"admm_iters": True}, "admm_iters"),
    ({"penalty": True}, "penalty must be a positive"),
    ({"penalty": 0.0}, "penalty must be a positive"),
    ({"penalty": "a"}, "penalty must be a positive"),
    ({"rho": 0.0}, "rho must be > 0"),
    ({"rho": np.nan}, "rho"),
    ({"rho": "a"}, "rho"),
    ({"couple_from": 5}, "couple_from must be an int from 1 to 4"),
    ({"couple_from": 0, "penalty": -1.0}, "penalty"),  # checked before couple_from is used
    ({"couple_from": 2, "admm_iters": 0}, "admm_iters"),
])
def test_run_mpc_bad_arguments_leave_the_agents_as_they_were(kwargs, match) -> None:
    A, B = double_integrator(0.1)
    s = Sheaf.constant(2, [(0, 1)], 4)
    ags = [MPCAgent(A, B, np.eye(4), np.eye(2), 5, x0=np.ones(4)) for _ in range(2)]
    kwargs = {"steps": 1, **kwargs}
    with pytest.raises(SheafError, match=match):
        run_mpc(s, ags, **kwargs)
    for a in ags:  # refused before any agent was coupled or stepped
        assert a.coupled == (4,) and a.solves == 0
        np.testing.assert_array_equal(a.x, np.ones(4))


def test_run_mpc_takes_numpy_ints_and_leaves_the_coupling_set() -> None:
    A, B = double_integrator(0.1)
    s = Sheaf.constant(2, [(0, 1)], 4)
    ags = [MPCAgent(A, B, np.eye(4), np.eye(2), 5, x0=x0) for x0 in (np.ones(4), -np.ones(4))]
    r = run_mpc(s, ags, np.int64(2), admm_iters=np.int64(3), penalty=np.int64(3),
                couple_from=np.int64(2), rho=np.int64(2))
    assert r.states.shape == (3, 2, 4) and r.residuals.shape == (2,)
    assert all(a.coupled == (2, 3, 4) for a in ags)  # as documented: left so


def test_plan_is_the_last_planned_trajectory() -> None:
    """``plan`` starts at the current state, follows the dynamics with the first control, and
    its coupled states are what prox returned."""
    A, B = double_integrator(0.1)
    rng = np.random.default_rng(5)
    a = MPCAgent(A, B, np.eye(4), np.eye(2), 6, (-1, 1), x0=rng.standard_normal(4), eps=1e-10)
    a.couple(3)
    z = a.prox(rng.standard_normal(12), 1.5)
    assert a.plan.shape == (6, 4)
    np.testing.assert_allclose(a.plan[0], a.x, atol=1e-8)
    np.testing.assert_allclose(a.plan[1], A @ a.x + B @ a.u_first, atol=1e-8)
    np.testing.assert_array_equal(a.plan[3:].ravel(), z)
