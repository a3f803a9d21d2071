"""Edge potentials: value, gradient and Hessian agree with each other (central finite
differences), also when a coordinate is listed more than once."""

from __future__ import annotations

import numpy as np
import pytest

from catopt.sheaves.potentials import distance, quadratic

COORDS = [None, [0], [0, 0], [2, 0, 2, 2], [1, 0]]


def fd_grad(pot, Y: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """The gradient of ``sum_k pot.values(Y)_k`` by central differences, entry by entry."""
    G = np.zeros_like(Y)
    for idx in np.ndindex(*Y.shape):
        E = np.zeros_like(Y)
        E[idx] = h
        G[idx] = (np.sum(pot.values(Y + E)) - np.sum(pot.values(Y - E))) / (2 * h)
    return G


@pytest.mark.parametrize("coords", COORDS)
def test_quadratic_value_gradient_hessian_agree(coords) -> None:
    rng = np.random.default_rng(1)
    pot = quadratic(coords, weight=1.7)
    Y = rng.standard_normal((4, 3))
    np.testing.assert_allclose(pot.grads(Y), fd_grad(pot, Y), atol=1e-6)
    H = pot.hessian(3)
    # a quadratic is its Hessian form: U(y) = 1/2 y^T H y for every edge
    np.testing.assert_allclose(pot.values(Y), 0.5 * np.einsum("ki,ij,kj->k", Y, H, Y))
    np.testing.assert_allclose(pot.grads(Y), Y @ H, atol=1e-12)


@pytest.mark.parametrize("coords", COORDS)
def test_distance_gradient_agrees_with_its_value(coords) -> None:
    rng = np.random.default_rng(2)
    pot = distance(1.5, coords)
    Y = rng.standard_normal((4, 3))
    np.testing.assert_allclose(pot.grads(Y), fd_grad(pot, Y), rtol=1e-5, atol=1e-5)


def test_finite_difference_check_catches_a_gradient_that_ignores_repeats() -> None:
    """Companion: the old gradient (each repeated coordinate counted once) is caught."""
    pot = quadratic([0, 0])
    Y = np.random.default_rng(3).standard_normal((2, 2))
    wrong = np.zeros_like(Y)
    wrong[:, [0, 0]] = Y[:, [0, 0]]
    assert not np.allclose(wrong, fd_grad(pot, Y), atol=1e-6)
