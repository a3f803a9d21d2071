"""The default backend: reverse-mode autodiff with autograd.

Objectives are written with ``autograd.numpy`` (``import autograd.numpy as np``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
import numpy as np

from catopt.backends.base import ValueAndGrad

__all__ = ["AutogradBackend"]


class AutogradBackend:
    """``R[f](x, dy) = J_f(x)^T dy`` by autograd's reverse mode."""

    name = "autograd"

    def value_and_grad(self, fun: Callable[[Any], Any]) -> ValueAndGrad:
        vg = autograd.value_and_grad(fun)

        def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
            v, g = vg(x)
            return v, g

        return value_and_grad

    def reverse_derivative(self, fun: Callable[[Any], Any]) -> Callable[..., np.ndarray]:
        """``(x, dy) -> J_f(x)^T dy`` for ``f: R^n -> R^m``."""

        def R(x: np.ndarray, dy: Any) -> np.ndarray:
            vjp, _ = autograd.make_vjp(fun)(np.asarray(x, dtype=float))
            return np.asarray(vjp(np.asarray(dy, dtype=float)), dtype=float)

        return R

    def __repr__(self) -> str:
        return "AutogradBackend()"
