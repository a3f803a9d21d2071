"""The adaptive step of Xu et al.: argmin of the rate bound, capped; its constants' rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catopt.errors import CatoptError, ShapeError
from catopt.functor.xu_step import XuAdaptiveStep, XuLocalStep, tau_extremes, xu_constants


def _setting(h: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n, m = 6, 2
    W1, W2 = 0.5 * rng.standard_normal((n, h)), 0.5 * rng.standard_normal((h, m))
    X = rng.standard_normal((10, n))
    Y = X @ W1 @ W2 + 0.01 * rng.standard_normal((10, m))
    return X, Y, W1, W2


@pytest.mark.parametrize("seed", range(5))
def test_step_minimizes_the_bound_on_a_grid(seed: int) -> None:
    c = xu_constants(*_setting(8, seed))
    rule = XuAdaptiveStep(c)
    for L in (c.L0, 0.1 * c.L0, 0.0):
        eta = rule.step_at(0, np.zeros(1), L, np.zeros(1), lambda x: 0.0)
        grid = np.linspace(0, c.eta_max, 2001)
        assert 0 < eta <= c.eta_max
        assert c.rate(eta, L) <= min(c.rate(e, L) for e in grid) + 1e-12


def test_eta_max_solves_theorem_3_1() -> None:
    c = xu_constants(*_setting(8))
    a1, a2, a3, a4 = c.a(c.L0)
    extra = 4 * c.c2 * c.L0 * c.smax**2 / (c.c2 - 1)
    extra2 = 8 * c.c2 * c.beta0 * c.L0 * c.smax**2 / ((1 - c.c1) * c.alpha0)
    e = c.eta_max
    lhs = [a4 * e**3 + a3 * e**2 + (a2 + x) * e for x in (extra, extra2)]
    assert min(abs(v - a1) for v in lhs) < 1e-9 * a1   # one polynomial has its root there
    assert all(v <= a1 * (1 + 1e-9) for v in lhs)       # and the other's root is not smaller


def test_bad_constants() -> None:
    with pytest.raises(CatoptError, match="0 < c1 < 1 < c2"):
        xu_constants(*_setting(8), c1=1.5)


# -- validity of the bound on every shape ------------------------------------------------------

def _loss(X, Y, W1, W2) -> float:
    E = Y - X @ W1 @ W2
    return 0.5 * float(np.sum(E * E))


def _lambda_min_tau(X, W1, W2) -> float:
    """lambda_min of tau(G) = G W2'W2 + W~1 W~1' G on r x m matrices, by dense assembly of the
    operator (an independent route from the Kronecker-sum eigenvalues the library uses)."""
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    r = int(np.sum(s > 1e-10 * s[0]))
    W1t = Vt[:r] @ W1
    m = W2.shape[1]
    cols = []
    for k in range(r * m):
        G = np.zeros(r * m)
        G[k] = 1.0
        G = G.reshape(r, m)
        cols.append((G @ W2.T @ W2 + W1t @ W1t.T @ G).ravel())
    return float(np.linalg.eigvalsh(np.array(cols).T)[0])


def _table2_alpha0(X, Y, W1, W2, drop_narrow: bool = True) -> float:
    """The *broken* versions: Table 2 read literally (margin on both sides, raw Y), dropping
    one of its terms when a layer is narrow, as catopt did before."""
    sx = np.linalg.svd(X, compute_uv=False)
    e0 = np.linalg.norm(Y - X @ W1 @ W2)
    p1 = max(np.linalg.svd(Y, compute_uv=False)[-1] - e0, 0.0) / sx[0]
    n, h, m = W1.shape[0], W1.shape[1], W2.shape[1]
    ev = np.sort(np.linalg.eigvalsh(W1.T @ W1 - W2 @ W2.T))[::-1]
    evn = np.sort(-ev)[::-1]
    nth = lambda v, k: max(v[k - 1], 0.0) if k <= h else 0.0  # noqa: E731
    dp, dm = max(ev[0], 0) - nth(ev, n), max(evn[0], 0) - nth(evn, m)
    delta = nth(ev, n) + nth(evn, m)
    a = (-dp + np.sqrt((dp + delta) ** 2 + 4 * p1**2)) / 2
    b = (-dm + np.sqrt((dm + delta) ** 2 + 4 * p1**2)) / 2
    return (a if h >= n or not drop_narrow else 0.0) + (b if h >= m or not drop_narrow else 0.0)


@st.composite
def _instances(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    N, n, h, m = (draw(st.integers(1, 7)) for _ in range(4))
    s1, s2 = draw(st.sampled_from([0.1, 0.5, 1.0, 2.0])), draw(st.sampled_from([0.1, 0.5, 2.0]))
    noise = draw(st.sampled_from([0.0, 0.01, 0.3]))
    rank_cut = draw(st.booleans())
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, n))
    if rank_cut and min(N, n) > 1:                       # a rank-deficient X
        X = X[:, :1] @ rng.standard_normal((1, n)) + X[:, 1:2] @ rng.standard_normal((1, n))
    W1, W2 = s1 * rng.standard_normal((n, h)), s2 * rng.standard_normal((h, m))
    Y = X @ W1 @ W2 + noise * rng.standard_normal((N, m))
    return X, Y, W1, W2


@settings(max_examples=300)
@given(_instances())
def test_alpha0_is_a_lower_bound_and_the_certificate_holds(inst) -> None:
    """On every shape (h < n, n != m, p1 > 0, N > n, rank-deficient X): alpha0 <=
    lambda_min(tau_0), lambda_max(tau_0) <= beta0, and under the adaptive step
    L(t+1) - L* <= f(eta_t, t) (L(t) - L*) at every step; or a refusal naming the condition."""
    X, Y, W1, W2 = inst
    r = np.linalg.matrix_rank(X, tol=1e-10 * np.linalg.norm(X, 2))
    h, m = W2.shape
    try:
        c = xu_constants(X, Y, W1, W2)
    except CatoptError as err:
        assert h < min(r, m) and "below min(rank X, m)" in str(err)
        return
    lo = _lambda_min_tau(X, W1, W2)
    assert c.alpha0 <= lo * (1 + 1e-9) + 1e-12
    assert tau_extremes(W1, W2, c.V1t)[1] <= c.beta0 * (1 + 1e-12)
    # L* by an independent route: the least-squares residual
    W_ls = np.linalg.lstsq(X, Y, rcond=None)[0]
    assert abs(c.L_star - _loss(X, Y, W_ls, np.eye(m))) <= 1e-9 * (1 + c.L_star)
    if c.alpha0 == 0:
        with pytest.raises(CatoptError, match="alpha0 = 0"):
            XuAdaptiveStep(c)
        return
    rule = XuAdaptiveStep(c)
    L = _loss(X, Y, W1, W2)
    for t in range(25):
        eta = rule.step_at(t, np.zeros(1), L, np.zeros(1), lambda x: 0.0)
        G = -X.T @ (Y - X @ W1 @ W2)
        W1, W2 = W1 - eta * G @ W2.T, W2 - eta * W1.T @ G
        L_next = _loss(X, Y, W1, W2)
        ex, ex_next = L - c.L_star, L_next - c.L_star
        assert ex_next <= c.rate(eta, ex) * max(ex, 0.0) + 1e-10 * (1 + c.L_star), t
        L = L_next


def _example_instance(seed: int):
    """The example's adaptive setting (the paper's eq. 35): X = I_20, m = 1, width 20."""
    rng = np.random.default_rng(seed)
    W1, W2 = 0.5 * rng.standard_normal((20, 20)), 0.5 * rng.standard_normal((20, 1))
    X = np.eye(20)
    return X, X @ W1 @ W2 + 0.01 * rng.standard_normal((20, 1)), W1, W2


@pytest.mark.parametrize("seed", range(3))
def test_regression_margin_only_where_sigma_n_exists(seed: int) -> None:
    """n = 20 != m = 1: Table 2 read literally puts the margin on the W1 side too, and its
    alpha0 (8.4 for seed 0) exceeds lambda_min(tau_0) (6.25); the library's does not."""
    X, Y, W1, W2 = _example_instance(seed)
    lo = _lambda_min_tau(X, W1, W2)
    assert _table2_alpha0(X, Y, W1, W2) > lo            # the broken version is caught
    assert xu_constants(X, Y, W1, W2).alpha0 <= lo


def test_regression_narrow_hidden_layer() -> None:
    """h = 3 < n = 6 with margin p1 > 0: dropping one Table 2 term gave 1.26 > lambda_min(tau_0)
    = 1.24; the appendix's h2 term alone is a bound."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((8, 6))
    W1, W2 = rng.standard_normal((6, 3)), rng.standard_normal((3, 2))
    Y = X @ W1 @ W2 + 0.01 * rng.standard_normal((8, 2))
    lo = _lambda_min_tau(X, W1, W2)
    assert _table2_alpha0(X, Y, W1, W2) > lo
    c = xu_constants(X, Y, W1, W2)
    assert 0 < c.alpha0 <= lo


def test_regression_more_samples_than_inputs() -> None:
    """N = 8 > n = 3: with the raw loss (L* ignored) the certificate L(t+1) <= f L(t) failed
    in 62 of 300 steps on this instance; with the reparametrization and L - L* it holds."""
    rng = np.random.default_rng(16)
    X = rng.standard_normal((8, 3))
    W1, W2 = 2 * rng.standard_normal((3, 6)), 0.01 * rng.standard_normal((6, 2))
    Y = X @ rng.standard_normal((3, 2)) + 0.1 * rng.standard_normal((8, 2))
    c = xu_constants(X, Y, W1, W2)
    assert c.L_star > 0.01
    rule = XuAdaptiveStep(c)
    L = _loss(X, Y, W1, W2)
    raw_failures = 0
    for t in range(300):
        eta = rule.step_at(t, np.zeros(1), L, np.zeros(1), lambda x: 0.0)
        G = -X.T @ (Y - X @ W1 @ W2)
        W1, W2 = W1 - eta * G @ W2.T, W2 - eta * W1.T @ G
        L_next = _loss(X, Y, W1, W2)
        assert L_next - c.L_star <= c.rate(eta, L - c.L_star) * (L - c.L_star) * (1 + 1e-9)
        raw_failures += L_next > c.rate(eta, L) * L     # the raw-loss reading fails
        L = L_next
    assert raw_failures > 0


def test_refusals_name_the_condition() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 4))
    with pytest.raises(CatoptError, match=r"h = 1 is below min\(rank X, m\) = min\(4, 3\)"):
        xu_constants(X, rng.standard_normal((5, 3)), rng.standard_normal((4, 1)),
                     rng.standard_normal((1, 3)))
    with pytest.raises(ShapeError, match="W1 must be 4 x 2"):
        xu_constants(X, rng.standard_normal((5, 3)), rng.standard_normal((3, 2)),
                     rng.standard_normal((2, 3)))
    with pytest.raises(ShapeError, match="Y has 4 rows but X has 5"):
        xu_constants(X, rng.standard_normal((4, 3)), rng.standard_normal((4, 2)),
                     rng.standard_normal((2, 3)))
    with pytest.raises(CatoptError, match="X = 0"):
        xu_constants(np.zeros((5, 4)), rng.standard_normal((5, 3)), rng.standard_normal((4, 3)),
                     rng.standard_normal((3, 3)))
    # balanced and zero margin: alpha0 = 0, Theorem 3.1 gives no step
    W1 = np.zeros((4, 3))
    c = xu_constants(X, X @ rng.standard_normal((4, 3)), W1, np.zeros((3, 3)))
    assert c.alpha0 == 0
    with pytest.raises(CatoptError, match="alpha0 = 0"):
        XuAdaptiveStep(c)


def test_local_step_is_the_kronecker_sum_step() -> None:
    """XuLocalStep: 2 / (K lambda_max(tau) + mu lambda_min(tau)) with tau assembled densely."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((9, 4))
    W1, W2 = rng.standard_normal((4, 6)), rng.standard_normal((6, 3))
    x = np.concatenate([W1.ravel(), W2.ravel()])
    rule = XuLocalStep(X, lambda z: (z[:24].reshape(4, 6), z[24:].reshape(6, 3)))
    cols = []
    for k in range(12):
        G = np.zeros(12)
        G[k] = 1
        G = G.reshape(4, 3)
        cols.append((G @ W2.T @ W2 + W1 @ W1.T @ G).ravel())
    ev = np.linalg.eigvalsh(np.array(cols).T)
    s = np.linalg.svd(X, compute_uv=False)
    expect = 2 / (s[0] ** 2 * ev[-1] + s[-1] ** 2 * ev[0])
    assert abs(rule.step_at(0, x, 0.0, x, lambda z: 0.0) - expect) < 1e-14 * expect
    with pytest.raises(CatoptError, match="needs the current weights"):
        rule(0)
