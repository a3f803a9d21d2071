"""Leaf objectives: a scalar function on a block of coordinates with its gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from catopt.errors import CatoptError, ObjectiveError
from catopt.program.program import in_leaf as in_box

__all__ = ["ObjectiveLeaf", "ObjectiveBlock", "zero_leaf", "zero_block", "in_box"]


def _wrap_failure(e: Exception, what: str) -> CatoptError:
    if isinstance(e, CatoptError):
        return e
    if isinstance(e, TypeError) and "scalar-output" in str(e):
        return ObjectiveError(f"{what} returned a non-scalar value; an objective must be a scalar")
    return ObjectiveError(f"{what} raised {type(e).__name__}: {e}")


class ObjectiveLeaf:
    """A leaf objective ``f: R^size -> R`` with ``value(x)`` and ``value_and_grad(x)``.

    Values are checked to be scalars and gradients to have shape ``(size,)``; a failure inside
    the user's function becomes an :class:`~catopt.errors.ObjectiveError`.
    """

    __slots__ = ("size", "_value", "_vg", "what", "backend")

    def __init__(
        self,
        size: int,
        value: Callable[[np.ndarray], Any],
        value_and_grad: Callable[[np.ndarray], tuple[Any, Any]],
        what: str = "objective",
        backend: str = "autograd",
    ) -> None:
        self.size = size
        self._value = value
        self._vg = value_and_grad
        self.what = what
        self.backend = backend

    def _scalar(self, v: Any) -> float:
        if np.ndim(v) != 0:
            raise ObjectiveError(
                f"{self.what} returned an array of shape {np.shape(v)}; expected a scalar"
            )
        if np.iscomplexobj(v):
            raise ObjectiveError(f"{self.what} returned a complex value {v!r}; an objective "
                                 f"must be real (catopt does not cut it to its real part)")
        try:
            return float(v)
        except (TypeError, ValueError):
            raise ObjectiveError(
                f"{self.what} returned {type(v).__name__}; expected a real scalar"
            ) from None

    def value(self, x: np.ndarray) -> float:
        try:
            v = self._value(x)
        except Exception as e:
            raise _wrap_failure(e, self.what) from e
        return self._scalar(v)

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            v, g = self._vg(x)
        except Exception as e:
            raise _wrap_failure(e, self.what) from e
        if np.iscomplexobj(g):
            raise ObjectiveError(f"gradient of {self.what} is complex; it must be real")
        try:
            g = np.asarray(g, dtype=float)
        except (TypeError, ValueError) as e:
            raise ObjectiveError(f"gradient of {self.what} is not an array of numbers: "
                                 f"{e}") from None
        if g.shape != (self.size,):
            raise ObjectiveError(
                f"gradient of {self.what} has shape {g.shape}; expected ({self.size},)"
            )
        return self._scalar(v), g

    def grad(self, x: np.ndarray) -> np.ndarray:
        return self.value_and_grad(x)[1]


def zero_leaf(size: int) -> ObjectiveLeaf:
    """The zero objective on ``size`` coordinates."""
    return ObjectiveLeaf(
        size,
        lambda x: 0.0,
        lambda x: (0.0, np.zeros(size)),
        what="zero objective",
        backend="none",
    )


#: the names of the first releases: a *block* is a leaf
ObjectiveBlock = ObjectiveLeaf
zero_block = zero_leaf
