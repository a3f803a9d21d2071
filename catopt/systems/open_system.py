"""Open dynamical systems (resource sharers): continuous vector fields and discrete updates.

They compose along UWDs with the gluing of their problems: with ``phi^*`` the pullback (copy
a shared value to every box) and ``phi_*`` its transpose (sum over the copies),

- continuous: ``v(y) = phi_* (sum_b v_b)(phi^* y)``;
- discrete: ``u(y) = y + phi_*((sum_b u_b)(phi^* y) - phi^* y)`` (push increments, not states).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.errors import CatoptError, ObjectiveError
from catopt.problems.base import Open, resolve_ports
from catopt.problems.blocks import in_box
from catopt.systems.blocks import FieldBlock, UpdateBlock
from catopt.wiring.space import Space

__all__ = ["OpenSystem", "OpenContinuousSystem", "OpenDiscreteSystem"]


class OpenSystem(Open):
    """Base of open continuous and discrete systems."""

    @property
    def knows_objective(self) -> bool:
        """Whether every leaf knows its objective (then simulations record its history)."""
        return all(b.knows_objective for b in self._blocks)


class OpenContinuousSystem(OpenSystem):
    """An open continuous system ``(S, v, m)``: ``dx/dt = v(x)`` with ports ``m``.

    ``vector_field(x)`` takes and returns flat vectors of length ``n``; ``space`` and ``ports``
    are as for :class:`~catopt.OpenProblem`.
    """

    _kind = "continuous"

    def __init__(
        self,
        vector_field: Callable[[np.ndarray], Any],
        space: int | Mapping[str, Any] | Space,
        ports: Sequence[Any] | None = (),
        *,
        name: str | None = None,
    ) -> None:
        if not callable(vector_field):
            raise ObjectiveError(
                f"vector_field must be callable, got {type(vector_field).__name__}"
            )
        sp = Space.from_spec(space)
        what = f"vector field of {name!r}" if name else "vector field"
        block = FieldBlock(sp.n, vector_field, what=what)
        self._setup(sp, resolve_ports(sp, ports), name, [block], [name or "v"], None)

    def _value_and_field(self, y: np.ndarray) -> tuple[float | None, np.ndarray]:
        blocks = self._blocks
        if self._index is None:
            return blocks[0].value_and_field(y)
        index = self._index
        xs = y[index]
        vs = np.empty_like(xs)
        offs = self._offsets_list
        total: float | None = 0.0
        k = 0
        try:
            for k, blk in enumerate(blocks):
                a, b = offs[k], offs[k + 1]
                val, vs[a:b] = blk.value_and_field(xs[a:b])
                total = None if val is None or total is None else total + val
        except CatoptError as e:
            raise in_box(e, self._block_names[k]) from e
        return total, np.bincount(index, weights=vs, minlength=self.space.n)

    def vector_field(self, x: Any) -> np.ndarray:
        """``v(x)`` on a flat vector of length ``n``."""
        return self._value_and_field(self._check(x))[1]

    def __call__(self, x: Any) -> np.ndarray:
        return self.vector_field(x)


def _takes_time(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    required = [
        p for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(required) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


class OpenDiscreteSystem(OpenSystem):
    """An open discrete system ``(S, u, m)``: ``x_{t+1} = u(x_t)`` with ports ``m``.

    ``update`` takes a flat vector (and, if it has two required positional arguments, the
    iteration ``t``) and returns the next state.
    """

    _kind = "discrete"

    def __init__(
        self,
        update: Callable[..., Any],
        space: int | Mapping[str, Any] | Space,
        ports: Sequence[Any] | None = (),
        *,
        name: str | None = None,
    ) -> None:
        if not callable(update):
            raise ObjectiveError(f"update must be callable, got {type(update).__name__}")
        sp = Space.from_spec(space)
        what = f"update of {name!r}" if name else "update"
        fn = update if _takes_time(update) else (lambda x, t: update(x))
        block = UpdateBlock(sp.n, fn, what=what)
        self._setup(sp, resolve_ports(sp, ports), name, [block], [name or "u"], None)

    def _value_and_update(self, y: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        blocks = self._blocks
        if self._index is None:
            if not blocks:
                return 0.0, y.copy()
            return blocks[0].value_and_update(y, t)
        index = self._index
        xs = y[index]
        us = np.empty_like(xs)
        offs = self._offsets_list
        total: float | None = 0.0
        k = 0
        try:
            for k, blk in enumerate(blocks):
                a, b = offs[k], offs[k + 1]
                val, us[a:b] = blk.value_and_update(xs[a:b], t)
                total = None if val is None or total is None else total + val
        except CatoptError as e:
            raise in_box(e, self._block_names[k]) from e
        us -= xs
        return total, y + np.bincount(index, weights=us, minlength=self.space.n)

    def update(self, x: Any, t: int = 0) -> np.ndarray:
        """``u(x)`` (at iteration ``t``) on a flat vector of length ``n``."""
        return self._value_and_update(self._check(x), t)[1]

    def __call__(self, x: Any, t: int = 0) -> np.ndarray:
        return self.update(x, t)
