"""The manual backend: gradients (or reverse derivatives) written by the user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from catopt.backends.base import ValueAndGrad
from catopt.errors import BackendError

__all__ = ["ManualBackend"]


class ManualBackend:
    """``grad(x)`` for scalar objectives, or ``reverse(x, dy)`` for maps ``R^n -> R^m``;
    ``R[f](x, 1)`` of a scalar objective is its gradient."""

    name = "manual"

    def __init__(self, grad: Callable[[np.ndarray], Any] | None = None,
                 reverse: Callable[[np.ndarray, Any], Any] | None = None) -> None:
        if grad is None and reverse is None:
            raise BackendError("the manual backend needs grad= or reverse=")
        for what, fn in (("grad", grad), ("reverse", reverse)):
            if fn is not None and not callable(fn):
                raise BackendError(f"manual backend: {what}= must be callable, "
                                   f"got {type(fn).__name__}")
        self.grad = grad
        self.reverse = reverse

    def value_and_grad(self, fun: Callable[[Any], Any]) -> ValueAndGrad:
        if self.grad is not None:
            g = self.grad
        else:
            rev = self.reverse
            assert rev is not None
            g = lambda x: rev(x, 1.0)  # noqa: E731

        def vg(x: np.ndarray) -> tuple[Any, Any]:
            return fun(x), g(x)

        return vg

    def reverse_derivative(self, fun: Callable[[Any], Any]) -> Callable[..., np.ndarray]:
        if self.reverse is None:
            raise BackendError("this manual backend has only a gradient: give reverse= for "
                               "the reverse derivative of a vector-valued map")
        rev = self.reverse
        return lambda x, dy: np.asarray(rev(x, dy), dtype=float)
