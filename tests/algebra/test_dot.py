"""The single-threaded inner product: exact on integer data on both sides of BLAS's
threading limit, the same as numpy's on random data, and NaN / infinite as numpy's is."""

from __future__ import annotations

import numpy as np
import pytest

from catopt.algebra.dot import SINGLE_THREADED, dot


@pytest.mark.parametrize("n", [0, 1, 7, SINGLE_THREADED, SINGLE_THREADED + 1, 50_000])
def test_dot_is_exact_on_integers(n: int) -> None:
    a = np.arange(n, dtype=float)
    assert dot(a, np.ones(n)) == n * (n - 1) / 2  # exact: all partial sums below 2^53
    assert dot(a, a) == (n - 1) * n * (2 * n - 1) / 6


def test_dot_matches_numpy_and_a_broken_one_would_not() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(40_000), rng.standard_normal(40_000)
    assert dot(a, b) == pytest.approx(float(a @ b), rel=1e-12)
    assert dot(a, b) != pytest.approx(float(a[:-1] @ b[:-1]), rel=1e-12, abs=0)


def test_dot_propagates_nan_and_overflow() -> None:
    a = np.ones(20_000)
    a[5] = np.nan
    assert np.isnan(dot(a, a))
    big = np.full(20_000, 1e200)
    with np.errstate(over="ignore"):
        assert dot(big, big) == np.inf
