"""Leaf dynamics: a vector field or an update on a block of coordinates.

Each leaf may know an objective (systems made by the gradient functor do); then
``value_and_field`` / ``value_and_update`` return it alongside, at no extra cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from catopt.errors import CatoptError, ObjectiveError
from catopt.program.quadratic import Quadratic

__all__ = ["FieldLeaf", "UpdateLeaf", "FieldBlock", "UpdateBlock"]


def _check_vector(v: Any, size: int, what: str) -> np.ndarray:
    arr = np.asarray(v, dtype=float)
    if arr.shape != (size,):
        raise ObjectiveError(f"{what} returned shape {arr.shape}; expected ({size},)")
    return arr


def _call(fn: Callable[..., Any], what: str, *args: Any) -> Any:
    try:
        return fn(*args)
    except CatoptError:
        raise
    except Exception as e:
        raise ObjectiveError(f"{what} raised {type(e).__name__}: {e}") from e


class FieldLeaf:
    """A leaf vector field ``v: R^size -> R^size`` (continuous time)."""

    __slots__ = ("size", "_field", "_value_and_field", "what", "quadratic")

    def __init__(
        self,
        size: int,
        field: Callable[[np.ndarray], Any],
        value_and_field: Callable[[np.ndarray], tuple[float | None, np.ndarray]] | None = None,
        what: str = "vector field",
        quadratic: Callable[[], Quadratic | None] | None = None,
    ) -> None:
        self.size = size
        self._field = field
        self._value_and_field = value_and_field
        self.what = what
        #: ``quadratic() -> Quadratic | None``, the objective's quadratic form with ``sign``
        #: giving the field, when known (the flow of a quadratic leaf), asked for only when a
        #: program compiles its quadratic leaves into one sparse operator
        self.quadratic = quadratic

    def quadratic_form(self) -> Quadratic | None:
        """See :mod:`catopt.program.quadratic`."""
        return None if self.quadratic is None else self.quadratic()

    @property
    def knows_objective(self) -> bool:
        return self._value_and_field is not None

    def field(self, x: np.ndarray) -> np.ndarray:
        return _check_vector(_call(self._field, self.what, x), self.size, self.what)

    def value_and_field(self, x: np.ndarray) -> tuple[float | None, np.ndarray]:
        if self._value_and_field is None:
            return None, self.field(x)
        return self._value_and_field(x)


class UpdateLeaf:
    """A leaf update ``u: R^size x N -> R^size`` (discrete time; ``t`` is the iteration)."""

    __slots__ = ("size", "_update", "_value_and_update", "what")

    def __init__(
        self,
        size: int,
        update: Callable[[np.ndarray, int], Any],
        value_and_update: Callable[[np.ndarray, int], tuple[float | None, np.ndarray]]
        | None = None,
        what: str = "update",
    ) -> None:
        self.size = size
        self._update = update
        self._value_and_update = value_and_update
        self.what = what

    @property
    def knows_objective(self) -> bool:
        return self._value_and_update is not None

    def update(self, x: np.ndarray, t: int) -> np.ndarray:
        return _check_vector(_call(self._update, self.what, x, t), self.size, self.what)

    def value_and_update(self, x: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        if self._value_and_update is None:
            return None, self.update(x, t)
        return self._value_and_update(x, t)


#: the names of the first releases: a *block* is a leaf
FieldBlock = FieldLeaf
UpdateBlock = UpdateLeaf
