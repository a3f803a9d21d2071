"""Shared fixtures. Random instances live in tests/strategies.py; the independent reference
pushout in tests/helpers/reference.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import catopt as co

settings.register_profile(
    "catopt", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("catopt")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def three_quadratics() -> dict:
    """The three-subproblem problem of AlgebraicOptimization.jl's README."""
    from examples.three_quadratics import build

    return build()


@pytest.fixture
def diagram() -> co.UWD:
    return co.relation("(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)")
