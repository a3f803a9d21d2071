"""The adaptive step of Xu et al.: argmin of the rate bound, capped; its constants' rules."""

from __future__ import annotations

import numpy as np
import pytest

from catopt.errors import CatoptError
from catopt.functor.xu_step import XuAdaptiveStep, xu_constants


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
