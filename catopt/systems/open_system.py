"""Open dynamical systems (resource sharers): continuous vector fields and discrete updates.

They compose along UWDs with the gluing of their problems: with ``phi^*`` the pullback (copy
a shared value to every box) and ``phi_*`` its transpose (sum over the copies),

- continuous: ``v(y) = phi_* (sum_b v_b)(phi^* y)``;
- discrete: ``u(y) = y + phi_*((sum_b u_b)(phi^* y) - phi^* y)`` (push increments, not states).

Both are UWD-algebras (:class:`ContinuousAlgebra`, :class:`DiscreteAlgebra`) over a
coefficient ring: over Z2 the pushed sums are taken mod 2.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.algebra.finset import Space, resolve_ports
from catopt.algebra.protocol import OpenParts, UWDAlgebra
from catopt.algebra.ring import REAL
from catopt.errors import ObjectiveError
from catopt.program.open import Open
from catopt.systems.blocks import FieldLeaf, UpdateLeaf

__all__ = ["OpenSystem", "OpenContinuousSystem", "OpenDiscreteSystem", "ContinuousAlgebra",
           "DiscreteAlgebra"]


class ContinuousAlgebra(UWDAlgebra):
    """Open continuous systems: vector fields push forward, ``v = phi_* (sum_b v_b) phi^*``."""

    name = "continuous"

    def assemble(self, parts: OpenParts) -> OpenContinuousSystem:
        return OpenContinuousSystem.assembled(parts, self)


class DiscreteAlgebra(UWDAlgebra):
    """Open discrete systems: updates push increments, ``u = id + phi_*(sum_b u_b - id) phi^*``."""

    name = "discrete"

    def assemble(self, parts: OpenParts) -> OpenDiscreteSystem:
        return OpenDiscreteSystem.assembled(parts, self)


class OpenSystem(Open):
    """Base of open continuous and discrete systems."""

    @property
    def knows_objective(self) -> bool:
        """Whether every leaf knows its objective (then simulations record its history)."""
        return all(leaf.knows_objective for leaf in self.leaves)


class OpenContinuousSystem(OpenSystem):
    """An open continuous system ``(S, v, m)``: ``dx/dt = v(x)`` with ports ``m``.

    ``vector_field(x)`` takes and returns flat vectors of length ``n``; ``space`` and ``ports``
    are as for :class:`~catopt.OpenProblem`.
    """

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
        leaf = FieldLeaf(sp.n, vector_field, what=what)
        super().__init__(OpenParts(sp, resolve_ports(sp, ports), (leaf,), (name or "v",), None,
                                   name=name), ContinuousAlgebra())

    @classmethod
    def algebra_of(cls, ring: Any = None) -> ContinuousAlgebra:
        return ContinuousAlgebra(REAL if ring is None else ring)

    def vector_field(self, x: Any) -> np.ndarray:
        """``v(x)`` on a flat vector of length ``n``."""
        return self.program.value_and_field(self.check_state(x))[1]

    def value_and_field(self, x: Any) -> tuple[float | None, np.ndarray]:
        """``(f(x), v(x))``: the objective (None unless every leaf knows one) and the field."""
        return self.program.value_and_field(self.check_state(x))

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
        leaf = UpdateLeaf(sp.n, fn, what=what)
        super().__init__(OpenParts(sp, resolve_ports(sp, ports), (leaf,), (name or "u",), None,
                                   name=name), DiscreteAlgebra())

    @classmethod
    def algebra_of(cls, ring: Any = None) -> DiscreteAlgebra:
        return DiscreteAlgebra(REAL if ring is None else ring)

    def update(self, x: Any, t: int = 0) -> np.ndarray:
        """``u(x)`` (at iteration ``t``) on a flat vector of length ``n``."""
        return self.program.value_and_update(self.check_state(x), t)[1]

    def value_and_update(self, x: Any, t: int = 0) -> tuple[float | None, np.ndarray]:
        """``(f(x), u(x))`` at iteration ``t``: the objective (None unless every leaf knows
        one) and the next state."""
        return self.program.value_and_update(self.check_state(x), t)

    def __call__(self, x: Any, t: int = 0) -> np.ndarray:
        return self.update(x, t)
