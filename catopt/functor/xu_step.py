"""The adaptive step of Xu, Min, Tarmoun, Mallada and Vidal (AISTATS 2023) for two-layer
linear networks ``L(W1, W2) = 1/2 ||Y - X W1 W2||_F^2``.

Their descent lemma is ``L(t+1) <= f(eta, t) L(t)`` with

    f(eta, t) = 1 - a1 eta + a2(t) eta^2 + a3(t) eta^3 + a4(t) eta^4,

    a1    = 2 c1 alpha0 s^2,                      s = sigma_min(X), kappa = sigma_max^2 / s^2
    a2(t) = 2 sqrt(2 kappa L(t) s^6) p2 + kappa s^4 (c2 beta0)^2
    a3(t) = 2 sqrt(2 kappa^3 L(t) s^10) c2 beta0 p2
    a4(t) = 2 kappa^2 s^6 p2^2 L(t)

with the margin ``p1 = max(sigma_min(Y) - |E(0)|_F, 0) / sigma_max(X)``, the bound
``p2 = (|Y|_F + |E(0)|_F) / sigma_min(X)``, and ``alpha0``, ``beta0`` built from the
eigenvalues of the initial imbalance ``D(0) = W1'W1 - W2 W2'`` (Table 2 of the paper). The
adaptive step is ``eta_t = argmin_eta f(eta, t)`` (the positive root of ``df/deta``), capped
by ``eta_max = min(eta1_max, eta2_max)`` of their Theorem 3.1. It uses the current loss, so
it is a *global* rule: not natural, run by ``solve`` with a global reduction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from catopt.errors import CatoptError
from catopt.functor.steps import StepRule

__all__ = ["XuConstants", "xu_constants", "XuAdaptiveStep", "positive_root"]


def positive_root(coeffs_low_to_high: list[float]) -> float:
    """The unique positive real root of a polynomial with increasing-in-eta form."""
    roots = np.roots(list(reversed(coeffs_low_to_high)))
    real = [r.real for r in roots if abs(r.imag) < 1e-9 * max(1.0, abs(r)) and r.real > 0]
    if not real:
        raise CatoptError("the polynomial has no positive root (is alpha0 > 0?)")
    return float(min(real))


@dataclass(frozen=True)
class XuConstants:
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

    def a(self, L: float) -> tuple[float, float, float, float]:
        """``(a1, a2, a3, a4)`` at loss ``L``."""
        s, k, p2, cb = self.smin, self.kappa, self.p2, self.c2 * self.beta0
        a1 = 2 * self.c1 * self.alpha0 * s**2
        a2 = 2 * np.sqrt(2 * k * L * s**6) * p2 + k * s**4 * cb**2
        a3 = 2 * np.sqrt(2 * k**3 * L * s**10) * cb * p2
        a4 = 2 * k**2 * s**6 * p2**2 * L
        return a1, float(a2), float(a3), float(a4)

    def rate(self, eta: float, L: float) -> float:
        """The bound ``f(eta, t)`` at loss ``L``."""
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


def xu_constants(X: np.ndarray, Y: np.ndarray, W1: np.ndarray, W2: np.ndarray,
                 c1: float = 0.5, c2: float = 1.5) -> XuConstants:
    """The constants of the rate bound from the data and the initial weights; ``c1 = 0.5``,
    ``c2 = 1.5`` are the values of the paper's simulations (section 4)."""
    if not (0 < c1 < 1 < c2):
        raise CatoptError(f"need 0 < c1 < 1 < c2, got c1={c1}, c2={c2}")
    sx = np.linalg.svd(X, compute_uv=False)
    smax, smin = float(sx[0]), float(sx[-1])
    if smin <= 0:
        raise CatoptError("X must have full column rank (sigma_min(X) > 0)")
    n, m = W1.shape[0], W2.shape[1]
    E0 = Y - X @ W1 @ W2
    e0 = float(np.linalg.norm(E0))
    sy = np.linalg.svd(Y, compute_uv=False)
    p1 = max(float(sy[min(Y.shape) - 1]) - e0, 0.0) / smax
    p2 = (float(np.linalg.norm(Y)) + e0) / smin
    D = W1.T @ W1 - W2 @ W2.T
    ev = np.sort(np.linalg.eigvalsh(D))[::-1]       # descending
    evn = np.sort(np.linalg.eigvalsh(-D))[::-1]
    h = len(ev)

    def nth(vals: np.ndarray, k: int) -> float:
        """The k-th largest eigenvalue; one that does not exist (k > h) counts as 0."""
        return float(vals[k - 1]) if k <= h else 0.0

    lam_plus, lam_minus = max(ev[0], 0.0), max(evn[0], 0.0)
    d_plus = lam_plus - max(nth(ev, n), 0.0)
    d_minus = lam_minus - max(nth(evn, m), 0.0)
    delta = max(nth(ev, n), 0.0) + max(nth(evn, m), 0.0)
    # the two terms bound lambda_n(W1 W1') and lambda_m(W2'W2); a hidden layer narrower than
    # n (resp. m) makes that matrix singular, so its term is 0 (lambda_n(D) does not exist)
    alpha0 = ((-d_plus + np.sqrt((d_plus + delta) ** 2 + 4 * p1**2)) / 2 if h >= n else 0.0) \
        + ((-d_minus + np.sqrt((d_minus + delta) ** 2 + 4 * p1**2)) / 2 if h >= m else 0.0)
    beta0 = (lam_plus + np.sqrt(lam_plus**2 + 4 * p2**2)) / 2 \
        + (lam_minus + np.sqrt(lam_minus**2 + 4 * p2**2)) / 2
    L0 = 0.5 * e0**2
    return XuConstants(float(alpha0), float(beta0), p1, p2, (smax / smin) ** 2, smin, smax,
                       c1, c2, L0)


class XuAdaptiveStep(StepRule):
    """``eta_t = min(argmin_eta f(eta, t), eta_max)`` from the current loss; global."""

    natural = False

    def __init__(self, constants: XuConstants) -> None:
        if constants.alpha0 <= 0:
            raise CatoptError("alpha0 = 0: the initialization has neither imbalance nor margin, "
                              "so the rate bound gives no step")
        self.constants = constants
        self.eta_max = constants.eta_max
        self.steps: list[float] = []

    def __call__(self, t: int) -> float:
        return self.eta_max

    def step_at(self, t: int, x: np.ndarray, value: float, grad: np.ndarray,
                objective: Callable[[np.ndarray], float]) -> float:
        eta = min(self.constants.argmin(max(value, 0.0)), self.eta_max)
        self.steps.append(eta)
        return eta

    def __repr__(self) -> str:
        return f"XuAdaptiveStep(eta_max={self.eta_max:.3g})"
