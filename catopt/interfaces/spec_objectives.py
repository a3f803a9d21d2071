"""Built-in objective families for spec files.

- ``quadratic``: ``f(x) = x'Px + a'x`` (AlgebraicOptimization.jl's form), keys ``size``,
  ``P``, ``a``;
- ``least_squares``: ``f(x) = 1/2 ||Ax - b||^2``, keys ``A``, ``b``;
- ``logistic``: ``f(w) = sum_i log(1 + exp(-y_i x_i'w)) + l2/2 ||w||^2`` with labels
  ``y_i`` in {-1, 1} (or {0, 1}), keys ``X``, ``y``, ``l2``.

Each builds an :class:`~catopt.OpenProblem` on an integer space with the box's ``ports``.
Gradients are written by hand (exact and fast), so spec problems need no autodiff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from catopt.problems.open_problem import OpenProblem

__all__ = ["FAMILIES", "quadratic", "least_squares", "logistic"]


def quadratic(P: np.ndarray, a: np.ndarray, ports: list[int], name: str) -> OpenProblem:
    """``x'Px + a'x``; gradient ``(P + P')x + a``."""
    S = P + P.T
    return OpenProblem(lambda x: float(x @ P @ x + a @ x), len(a), ports=ports, name=name,
                       grad=lambda x: S @ x + a)


def least_squares(A: np.ndarray, b: np.ndarray, ports: list[int], name: str) -> OpenProblem:
    """``1/2 ||Ax - b||^2``; gradient ``A'(Ax - b)``."""

    def f(x: np.ndarray) -> float:
        r = A @ x - b
        return float(0.5 * r @ r)

    return OpenProblem(f, A.shape[1], ports=ports, name=name, grad=lambda x: A.T @ (A @ x - b))


def logistic(X: np.ndarray, y: np.ndarray, l2: float, ports: list[int],
             name: str) -> OpenProblem:
    """``sum_i log(1 + exp(-y_i x_i'w)) + l2/2 ||w||^2``; labels in {-1, 1}."""
    y = np.where(y > 0, 1.0, -1.0)

    def f(w: np.ndarray) -> float:
        m = y * (X @ w)
        return float(np.sum(np.logaddexp(0.0, -m)) + 0.5 * l2 * w @ w)

    def g(w: np.ndarray) -> np.ndarray:
        m = y * (X @ w)
        s = -y * np.exp(-np.logaddexp(0.0, m))  # -y * sigmoid(-m), stable
        return X.T @ s + l2 * w

    return OpenProblem(f, X.shape[1], ports=ports, name=name, grad=g)


# family name -> (builder, {key: kind}) ; kinds are read by the spec loader
FAMILIES: dict[str, tuple[Callable[..., OpenProblem], dict[str, str]]] = {
    "quadratic": (quadratic, {"P": "matrix", "a": "vector"}),
    "least_squares": (least_squares, {"A": "matrix", "b": "vector"}),
    "logistic": (logistic, {"X": "matrix", "y": "vector", "l2": "number?"}),
}


def family_keys(family: str) -> dict[str, Any]:
    return FAMILIES[family][1]
