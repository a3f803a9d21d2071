"""The adaptive step of Xu, Min, Tarmoun, Mallada and Vidal (AISTATS 2023) for two-layer
linear networks ``L(W1, W2) = 1/2 ||Y - X W1 W2||_F^2``.

Their descent lemma is ``L(t+1) - L* <= f(eta, t) (L(t) - L*)`` with

    f(eta, t) = 1 - a1 eta + a2(t) eta^2 + a3(t) eta^3 + a4(t) eta^4,

    a1    = 2 c1 alpha0 s^2,                      s = sigma_min(X), kappa = sigma_max^2 / s^2
    a2(t) = 2 sqrt(2 kappa L(t) s^6) p2 + kappa s^4 (c2 beta0)^2
    a3(t) = 2 sqrt(2 kappa^3 L(t) s^10) c2 beta0 p2
    a4(t) = 2 kappa^2 s^6 p2^2 L(t)

with the margin ``p1 = max(sigma_min(Y) - |E(0)|_F, 0) / sigma_max(X)``, the bound
``p2 = (|Y|_F + |E(0)|_F) / sigma_min(X)``, and ``alpha0``, ``beta0`` built from the
eigenvalues of the initial imbalance ``D(0) = W1'W1 - W2 W2'`` (Table 2 of the paper;
``alpha0`` as the sum of the appendix's per-layer bounds, which stays valid when a layer is
narrower than ``n`` or ``m`` and when ``n != m``), all computed after the reparametrization
of the paper's Appendix A, so ``N > n`` and rank-deficient ``X`` are covered. The
adaptive step is ``eta_t = argmin_eta f(eta, t)`` (the positive root of ``df/deta``), capped
by ``eta_max = min(eta1_max, eta2_max)`` of their Theorem 3.1. It uses the current loss, so
it is a *global* rule: not natural, run by ``solve`` with a global reduction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from catopt.errors import CatoptError, ShapeError
from catopt.functor.steps import StepRule

__all__ = ["XuConstants", "xu_constants", "XuAdaptiveStep", "XuLocalStep", "positive_root",
           "tau_extremes"]


def positive_root(coeffs_low_to_high: list[float]) -> float:
    """The unique positive real root of a polynomial with increasing-in-eta form."""
    roots = np.roots(list(reversed(coeffs_low_to_high)))
    real = [r.real for r in roots if abs(r.imag) < 1e-9 * max(1.0, abs(r)) and r.real > 0]
    if not real:
        raise CatoptError("the polynomial has no positive root (is alpha0 > 0?)")
    return float(min(real))


@dataclass(frozen=True)
class XuConstants:
    """The constants of Table 2 for the reparametrized problem (see :func:`xu_constants`):
    ``L0 = L(0) - L*`` is the initial excess loss, ``V1t`` the map ``W1 -> W~1``."""

    alpha0: float
    beta0: float
    p1: float
    p2: float
    kappa: float
    smin: float
    smax: float
    c1: float
    c2: float
    L0: float
    L_star: float = 0.0
    V1t: np.ndarray | None = field(default=None, repr=False, compare=False)

    def a(self, L: float) -> tuple[float, float, float, float]:
        """``(a1, a2, a3, a4)`` at excess loss ``L = L(t) - L*``."""
        s, k, p2, cb = self.smin, self.kappa, self.p2, self.c2 * self.beta0
        L = max(float(L), 0.0)
        a1 = 2 * self.c1 * self.alpha0 * s**2
        a2 = 2 * np.sqrt(2 * k * L * s**6) * p2 + k * s**4 * cb**2
        a3 = 2 * np.sqrt(2 * k**3 * L * s**10) * cb * p2
        a4 = 2 * k**2 * s**6 * p2**2 * L
        return a1, float(a2), float(a3), float(a4)

    def rate(self, eta: float, L: float) -> float:
        """The bound ``f(eta, t)`` at excess loss ``L = L(t) - L*``."""
        a1, a2, a3, a4 = self.a(L)
        return 1 - a1 * eta + a2 * eta**2 + a3 * eta**3 + a4 * eta**4

    @property
    def eta_max(self) -> float:
        """``min(eta1_max, eta2_max)`` of Theorem 3.1 (equation 30)."""
        a1, a2, a3, a4 = self.a(self.L0)
        extra1 = 4 * self.c2 * self.L0 * self.smax**2 / (self.c2 - 1)
        extra2 = 8 * self.c2 * self.beta0 * self.L0 * self.smax**2 / ((1 - self.c1) * self.alpha0)
        return min(positive_root([-a1, a2 + extra1, a3, a4]),
                   positive_root([-a1, a2 + extra2, a3, a4]))

    def argmin(self, L: float) -> float:
        """``argmin_eta f(eta, t)``: the positive root of ``-a1 + 2 a2 eta + 3 a3 eta^2 +
        4 a4 eta^3``."""
        a1, a2, a3, a4 = self.a(L)
        return positive_root([-a1, 2 * a2, 3 * a3, 4 * a4])


def _matrix(a: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.ndim != 2 or arr.size == 0:
        raise ShapeError(f"{name} must be a non-empty 2-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise CatoptError(f"{name} has NaN or infinite entries")
    return arr


def xu_constants(X: np.ndarray, Y: np.ndarray, W1: np.ndarray, W2: np.ndarray,
                 c1: float = 0.5, c2: float = 1.5, rank_tol: float = 1e-10) -> XuConstants:
    """The constants of the rate bound from the data and the initial weights; ``c1 = 0.5``,
    ``c2 = 1.5`` are the values of the paper's simulations (section 4).

    Every case is first brought to the paper's (Appendix A): with the thin SVD
    ``X = U1 S V1'`` of rank ``r``, GD on ``L`` moves ``W~1 = V1' W1`` exactly as GD on
    ``L~(W~1, W2) = 1/2 |U1'Y - S W~1 W2|_F^2 = L - L*`` with ``L* = 1/2 |Y - U1 U1'Y|_F^2``
    (zero when ``X`` has full row rank; not zero when ``N > n``). The constants below are
    those of ``L~`` (``n`` becomes ``r``), and the certificate reads
    ``L(t+1) - L* <= f(eta, t) (L(t) - L*)``.

    ``alpha0`` is the sum of the appendix's per-layer bounds (eq. 99-103),
    ``lambda_r(W~1 W~1') >= h1`` and ``lambda_m(W2'W2) >= h2``, with

        h1 = (-lam-bar_minus + lam_plus + sqrt((lam-bar_minus + lam_plus)^2 + 4 q1^2)) / 2
        h2 = (-lam-bar_plus + lam_minus + sqrt((lam-bar_plus + lam_minus)^2 + 4 q2^2)) / 2

    (``lam-bar_+- = max(lambda_1(+-D(0)), 0)``, ``lam_plus = max(lambda_r(D(0)), 0)``,
    ``lam_minus = max(lambda_m(-D(0)), 0)``); their sum is Table 2's ``alpha0``. The margin
    enters through ``sigma_r(W)`` resp. ``sigma_m(W)``, which exist only when ``r <= m`` resp.
    ``m <= r``: ``q1 = p1`` if ``r <= m`` else 0, ``q2 = p1`` if ``m <= r`` else 0. A hidden
    layer narrower than ``r`` makes ``lambda_r(W~1 W~1') = 0``: the ``h1`` term is dropped and
    ``h2`` alone bounds ``lambda_min(tau)``; likewise ``h2`` when ``h < m``.

    Raises
    ------
    ShapeError
        when ``X, Y, W1, W2`` do not chain (``X: N x n``, ``Y: N x m``, ``W1: n x h``,
        ``W2: h x m``).
    CatoptError
        when ``X = 0``, or when ``h < min(rank X, m)``: then ``lambda_min(tau) = 0`` for every
        weight and the theory gives no rate (Xu et al. assume ``h >= min(n, m)``).
    """
    if not (0 < c1 < 1 < c2):
        raise CatoptError(f"need 0 < c1 < 1 < c2, got c1={c1}, c2={c2}")
    X, Y = _matrix(X, "X"), _matrix(Y, "Y")
    W1, W2 = _matrix(W1, "W1"), _matrix(W2, "W2")
    N, n = X.shape
    h, m = W2.shape
    if Y.shape[0] != N:
        raise ShapeError(f"Y has {Y.shape[0]} rows but X has {N}")
    if W1.shape != (n, h):
        raise ShapeError(f"W1 must be {n} x {h} (X has {n} columns, W2 has {h} rows), "
                         f"got {W1.shape[0]} x {W1.shape[1]}")
    if Y.shape[1] != m:
        raise ShapeError(f"Y has {Y.shape[1]} columns but W2 has {m}")
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    if s[0] <= 0:
        raise CatoptError("X = 0: the loss does not depend on the weights")
    r = int(np.sum(s > rank_tol * s[0]))
    if h < min(r, m):
        raise CatoptError(
            f"hidden width h = {h} is below min(rank X, m) = min({r}, {m}): lambda_min(tau) = 0 "
            "for every weight, so Xu et al.'s bound gives no rate (they assume h >= min(n, m))")
    U1, S, V1t = U[:, :r], s[:r], Vt[:r]
    Yt = U1.T @ Y                                        # Y~ = U1'Y, r x m
    L_star = 0.5 * float(np.sum((Y - U1 @ Yt) ** 2))
    W1t = V1t @ W1                                       # W~1 = V1'W1, r x h
    E0 = Yt - S[:, None] * (W1t @ W2)                    # E~(0) = Y~ - S W~1 W2
    e0 = float(np.linalg.norm(E0))
    smax, smin = float(S[0]), float(S[-1])
    sy = np.linalg.svd(Yt, compute_uv=False)
    p1 = max(float(sy[min(r, m) - 1]) - e0, 0.0) / smax
    p2 = (float(np.linalg.norm(Yt)) + e0) / smin
    D = W1t.T @ W1t - W2 @ W2.T
    ev = np.linalg.eigvalsh(D)[::-1]                     # descending; those of -D: -ev[::-1]
    evn = -ev[::-1]
    lam_bar_plus, lam_bar_minus = max(float(ev[0]), 0.0), max(float(evn[0]), 0.0)
    alpha0 = 0.0
    if h >= r:
        lam_plus, q1 = max(float(ev[r - 1]), 0.0), (p1 if r <= m else 0.0)
        alpha0 += (-lam_bar_minus + lam_plus
                   + np.sqrt((lam_bar_minus + lam_plus) ** 2 + 4 * q1**2)) / 2
    if h >= m:
        lam_minus, q2 = max(float(evn[m - 1]), 0.0), (p1 if m <= r else 0.0)
        alpha0 += (-lam_bar_plus + lam_minus
                   + np.sqrt((lam_bar_plus + lam_minus) ** 2 + 4 * q2**2)) / 2
    beta0 = (lam_bar_plus + np.sqrt(lam_bar_plus**2 + 4 * p2**2)) / 2 \
        + (lam_bar_minus + np.sqrt(lam_bar_minus**2 + 4 * p2**2)) / 2
    L0 = 0.5 * e0**2
    return XuConstants(float(alpha0), float(beta0), p1, p2, (smax / smin) ** 2, smin, smax,
                       c1, c2, L0, L_star, V1t)


def tau_extremes(W1: np.ndarray, W2: np.ndarray,
                 V1t: np.ndarray | None = None) -> tuple[float, float]:
    """``(lambda_min, lambda_max)`` of ``tau(G) = G W2'W2 + W~1 W~1' G`` on ``r x m``
    matrices (``W~1 = V1'W1``, or ``W1`` when ``V1t`` is None).

    ``tau`` is the Kronecker sum ``I (x) W~1 W~1' + W2'W2 (x) I``, so its eigenvalues are the
    sums ``lambda_i(W~1 W~1') + lambda_j(W2'W2)``; a layer narrower than ``r`` (or ``m``)
    contributes a zero eigenvalue."""
    W1t = W1 if V1t is None else V1t @ W1
    e1 = np.linalg.eigvalsh(W1t @ W1t.T)
    e2 = np.linalg.eigvalsh(W2.T @ W2)
    return float(max(e1[0], 0.0) + max(e2[0], 0.0)), float(e1[-1] + e2[-1])


class XuAdaptiveStep(StepRule):
    """``eta_t = min(argmin_eta f(eta, t), eta_max)`` from the current excess loss
    ``L(t) - L*``; global (it needs the composite's loss).

    Raises
    ------
    CatoptError
        when ``alpha0 = 0`` (neither imbalance nor margin): Theorem 3.1 assumes
        ``alpha0 > 0`` and gives no step otherwise.
    """

    natural = False

    def __init__(self, constants: XuConstants) -> None:
        if constants.alpha0 <= 0:
            raise CatoptError("alpha0 = 0: the initialization has neither imbalance nor margin, "
                              "so Theorem 3.1 (which assumes alpha0 > 0) gives no step")
        self.constants = constants
        self.eta_max = constants.eta_max
        self.steps: list[float] = []

    def __call__(self, t: int) -> float:
        return self.eta_max

    def step_at(self, t: int, x: np.ndarray, value: float, grad: np.ndarray,
                objective: Callable[[np.ndarray], float]) -> float:
        excess = max(value - self.constants.L_star, 0.0)
        eta = min(self.constants.argmin(excess), self.eta_max)
        self.steps.append(eta)
        return eta

    def __repr__(self) -> str:
        return f"XuAdaptiveStep(eta_max={self.eta_max:.3g})"


class XuLocalStep(StepRule):
    """The per-iteration step ``eta_t = 2 / (K lambda_max(tau_t) + mu lambda_min(tau_t))``,
    ``K = sigma_max(X)^2``, ``mu = sigma_min(X)^2`` (the nonzero extremes), ``tau_t`` the
    operator ``G -> G W2'W2 + W1 W1' G`` at the current weights.

    It is the step ``2 / (K + mu)`` of plain least squares with the curvature of the
    overparametrized model at ``W(t)``: the step the seed's table was run with. It needs the
    current weights, so it is global (not natural); ``split(x) -> (W1, W2)`` reads them off
    the state.
    """

    natural = False

    def __init__(self, X: np.ndarray, split: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
                 ) -> None:
        s = np.linalg.svd(_matrix(X, "X"), compute_uv=False)
        if s[0] <= 0:
            raise CatoptError("X = 0: the loss does not depend on the weights")
        s = s[s > 1e-10 * s[0]]
        self.K, self.mu = float(s[0] ** 2), float(s[-1] ** 2)
        self.split = split
        self.steps: list[float] = []

    def __call__(self, t: int) -> float:
        raise CatoptError("XuLocalStep needs the current weights: run it with solve(...)")

    def step_at(self, t: int, x: np.ndarray, value: float, grad: np.ndarray,
                objective: Callable[[np.ndarray], float]) -> float:
        lo, hi = tau_extremes(*self.split(x))
        eta = 2.0 / (self.K * hi + self.mu * lo)
        self.steps.append(eta)
        return eta

    def __repr__(self) -> str:
        return f"XuLocalStep(K={self.K:.3g}, mu={self.mu:.3g})"
