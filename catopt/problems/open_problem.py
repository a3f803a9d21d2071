"""Open problems: an objective on a decision space with some variables exposed as ports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.backends.registry import get_backend
from catopt.errors import CatoptError, ObjectiveError
from catopt.problems.base import Open, resolve_ports
from catopt.problems.blocks import ObjectiveBlock, in_box
from catopt.wiring.space import Space

__all__ = ["OpenProblem"]


class OpenProblem(Open):
    """An open problem ``(S, f, m)``: an objective ``f: R^S -> R`` and a portmap ``m``.

    Parameters
    ----------
    objective
        The objective. With an integer space ``n`` it is called as ``objective(x)``
        with ``x.shape == (n,)``; with a named space ``{"W0": (20, 8), "W1": (8, 1)}`` as
        ``objective(W0, W1)``, one array per variable in order. Write it with
        ``autograd.numpy`` for the default backend.
    space
        An int (that many scalar coordinates, labelled ``"0"``, ``"1"``, ...) or a mapping
        from variable names to shapes.
    ports
        The exposed variables, in port order: coordinate indices in an integer space,
        variable names in a named space. Repeats are allowed (a non-injective portmap).
    grad
        Optional gradient with the objective's signature; it returns an array (integer
        space) or one array per variable (a sequence or a mapping by name).
    name
        Used in messages and drawings.
    backend
        Differentiation backend name or object (default ``"autograd"``).
    """

    _kind = "problem"

    def __init__(
        self,
        objective: Callable[..., Any],
        space: int | Mapping[str, Any] | Space,
        ports: Sequence[Any] | None = (),
        *,
        grad: Callable[..., Any] | None = None,
        name: str | None = None,
        backend: Any = None,
    ) -> None:
        if not callable(objective):
            raise ObjectiveError(f"objective must be callable, got {type(objective).__name__}")
        sp = Space.from_spec(space)
        port_vars = resolve_ports(sp, ports)
        what = f"objective of {name!r}" if name else "objective"
        if sp.integer:
            flat: Callable[[Any], Any] = objective
        else:
            views = sp.views

            def flat(x: Any) -> Any:
                return objective(*views(x))

        if grad is not None:
            if not callable(grad):
                raise ObjectiveError(f"grad must be callable, got {type(grad).__name__}")
            if sp.integer:
                flat_grad: Callable[[Any], Any] = grad
            else:

                single = len(sp) == 1

                def flat_grad(x: Any) -> Any:
                    g = grad(*views(x))
                    if single and not isinstance(g, (Mapping, list, tuple)):
                        g = [g]  # one variable: the gradient is that variable's array
                    return sp.pack(g)

            def vg(x: np.ndarray) -> tuple[Any, Any]:
                return flat(x), flat_grad(x)

            backend_name = "manual"
        elif sp.n == 0:  # nothing to differentiate (autograd would warn)

            def vg(x: np.ndarray) -> tuple[Any, Any]:
                return flat(x), np.zeros(0)

            backend_name = "none"
        else:
            be = get_backend(backend)
            vg = be.value_and_grad(flat)
            backend_name = getattr(be, "name", type(be).__name__)
        block = ObjectiveBlock(sp.n, flat, vg, what=what, backend=backend_name)
        self._setup(sp, port_vars, name, [block], [name or "f"], None)

    # -- alternative constructors -----------------------------------------------------------
    @classmethod
    def zero(
        cls, space: int | Mapping[str, Any] | Space, ports: Sequence[Any] | None = (), *,
        name: str | None = None,
    ) -> OpenProblem:
        """The zero objective on ``space`` with the given ports (Frobenius maps, identities)."""
        sp = Space.from_spec(space)
        return cls._from_parts(sp, resolve_ports(sp, ports), [], [], np.zeros(0, np.int64),
                               name=name)

    def with_ports(self, ports: Sequence[Any]) -> OpenProblem:
        """The same objective with other ports."""
        return type(self)._from_parts(
            self.space, resolve_ports(self.space, ports), self._blocks, self._block_names,
            self._index, name=self.name, gluing=self._gluing, components=self._components,
        )

    # -- evaluation ---------------------------------------------------------------------------
    def _value(self, y: np.ndarray) -> float:
        blocks = self._blocks
        if self._index is None:
            return blocks[0].value(y)
        xs = y[self._index]
        offs = self._offsets_list
        total = 0.0
        k = 0
        try:
            for k, blk in enumerate(blocks):
                total += blk.value(xs[offs[k] : offs[k + 1]])
        except CatoptError as e:
            raise in_box(e, self._block_names[k]) from e
        return total

    def _value_and_grad(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        blocks = self._blocks
        if self._index is None:
            return blocks[0].value_and_grad(y)
        index = self._index
        xs = y[index]
        gs = np.empty_like(xs)
        offs = self._offsets_list
        total = 0.0
        k = 0
        try:
            for k, blk in enumerate(blocks):
                a, b = offs[k], offs[k + 1]
                v, gs[a:b] = blk.value_and_grad(xs[a:b])
                total += v
        except CatoptError as e:
            raise in_box(e, self._block_names[k]) from e
        return total, np.bincount(index, weights=gs, minlength=self.space.n)

    def objective(self, x: Any) -> float:
        """``f(x)`` on a flat vector of length ``n``."""
        return self._value(self._check(x))

    def gradient(self, x: Any) -> np.ndarray:
        """``grad f(x)`` on a flat vector of length ``n`` (for a composite,
        ``phi_* (sum_b grad f_b)(phi^* x)``)."""
        return self._value_and_grad(self._check(x))[1]

    def value_and_grad(self, x: Any) -> tuple[float, np.ndarray]:
        """``(f(x), grad f(x))`` in one pass."""
        return self._value_and_grad(self._check(x))

    def __call__(self, x: Any) -> float:
        return self.objective(x)
