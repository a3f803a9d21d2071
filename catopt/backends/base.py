"""The reverse-derivative backend interface.

A backend turns a scalar function ``f: R^n -> R`` on flat vectors into its generalized
gradient ``R[f](x, 1)``: with the Euclidean reverse derivative ``R[f](x, dy) = J_f(x)^T dy``
this is the ordinary gradient. The composition maths stays in numpy; only the boxes' local
gradients come from a backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["Backend", "ReverseDerivative", "ValueAndGrad"]

ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


@runtime_checkable
class Backend(Protocol):
    """What a differentiation backend provides."""

    name: str

    def value_and_grad(self, fun: Callable[[Any], Any]) -> ValueAndGrad:
        """A function ``x -> (f(x), R[f](x, 1))`` on flat float vectors."""
        ...


class ReverseDerivative(Protocol):
    """Backends that also give ``R[f](x, dy)`` for maps ``f: R^n -> R^m`` provide
    ``reverse_derivative(fun) -> ((x, dy) -> R[f](x, dy))`` (autograd, torch, jax, manual;
    Z2 polynomials have :func:`catopt.backends.z2.reverse_derivative`)."""

    def reverse_derivative(self, fun: Callable[[Any], Any]) -> Callable[..., np.ndarray]: ...
