"""Decentralized GD and gradient tracking on the constant sheaf, against a dense solve."""

from __future__ import annotations

import numpy as np
import pytest

from catopt.sheaves import SheafError
from catopt.sheaves.decentralized import dgd, gradient_tracking, mixing_matrix

RING = [(i, (i + 1) % 6) for i in range(6)]


def problem(seed: int, n: int = 6, d: int = 3, k: int = 2, mu: float = 1.0):
    """f_i(s, p_i) = 1/2 |A_i s + B_i p_i - c_i|^2 + mu/2 (|s|^2 + |p_i|^2) and its minimizer
    of sum_i f_i by one dense solve of the normal equations."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, 5, d))
    B = rng.standard_normal((n, 5, k))
    c = rng.standard_normal((n, 5))
    H = np.zeros((d + n * k, d + n * k))
    r = np.zeros(d + n * k)
    for i in range(n):
        M = np.zeros((5, d + n * k))
        M[:, :d], M[:, d + i * k:d + (i + 1) * k] = A[i], B[i]
        H += M.T @ M
        r += M.T @ c[i]
    H += mu * np.eye(d + n * k)
    sol = np.linalg.solve(H, r)

    def grad(i: int):
        def g(s: np.ndarray, p: np.ndarray):
            res = A[i] @ s + B[i] @ p - c[i]
            return A[i].T @ res + mu / n * s, B[i].T @ res + mu * p
        return g

    return [grad(i) for i in range(n)], sol[:d], sol[d:].reshape(n, k)


def test_mixing_matrix_is_doubly_stochastic_on_the_graph() -> None:
    W = mixing_matrix(6, RING).toarray()
    assert np.allclose(W, W.T) and np.allclose(W.sum(axis=1), 1) and (W >= 0).all()
    assert W[0, 3] == 0 and W[0, 1] > 0  # only neighbours mix


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("edges", [RING, [(0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 5),
                                          (0, 5)]])
def test_gradient_tracking_reaches_the_exact_solution(seed: int, edges) -> None:
    grads, s_star, p_star = problem(seed)
    r = gradient_tracking(grads, edges, np.zeros(3), p0=[np.zeros(2)] * 6, step=0.004,
                          iters=5000)
    assert np.abs(r.S - s_star).max() < 1e-8  # every copy
    assert np.abs(np.stack(r.P) - p_star).max() < 1e-8
    assert r.rounds == 2 * 5000 and r.messages == 2 * 2 * len(edges) * 5000
    assert r.gradient_calls == 6 * 5001


def test_dgd_with_a_constant_step_stops_short_of_the_solution() -> None:
    """The companion: DGD's constant-step bias is visible where gradient tracking is exact."""
    grads, s_star, _ = problem(0)
    r = dgd(grads, RING, np.zeros(3), p0=[np.zeros(2)] * 6, step=0.004, iters=5000)
    err = np.abs(r.S - s_star).max()
    assert 1e-5 < err < 0.5
    small = dgd(grads, RING, np.zeros(3), p0=[np.zeros(2)] * 6, step=0.0004, iters=50000)
    assert np.abs(small.S - s_star).max() < err / 3  # the bias shrinks with the step
    assert r.rounds == 5000 and r.messages == 2 * 6 * 5000


def test_bad_input_is_named() -> None:
    grads, _, _ = problem(0)
    with pytest.raises(SheafError, match="edge"):
        dgd(grads, [(0, 9)], np.zeros(3), step=0.1, iters=1)
    with pytest.raises(SheafError, match="step"):
        gradient_tracking(grads, RING, np.zeros(3), step=-1.0, iters=1)
    with pytest.raises(SheafError, match="callable"):
        dgd([1, 2], [(0, 1)], np.zeros(3), step=0.1, iters=1)
