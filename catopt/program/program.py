"""The compiled form of an open thing: its leaves, one gather index, offsets and kernels.

A composite of any depth compiles to a :class:`Program`: the leaves (compiled units, each on
its own block of coordinates), the gather index ``phi`` (leaf coordinate ``s`` reads state
coordinate ``phi[s]``) and the leaves' offsets. Evaluating it is one kernel,
:meth:`Program.run`:

1. gather: ``xs = phi^* y`` (:func:`~catopt.algebra.gluing.pullback`);
2. call every leaf on its block of ``xs``;
3. scatter: push the leaves' vectors forward, ``phi_*``
   (:func:`~catopt.algebra.gluing.pushforward`), in the algebra's coefficient ring.

The kernels of the algebras are this one run with what the gluing does to each kind:
objectives add and gradients push forward (:meth:`value_and_grad`), vector fields push
forward (:meth:`value_and_field`), discrete updates push increments (:meth:`value_and_update`:
``u(y) = y + phi_*((sum_b u_b)(phi^* y) - phi^* y)``). Every engine (in-process, MPI ranks
through :meth:`restrict`, JAX through :func:`~catopt.program.jax.lower`) evaluates composites
through a Program. Leaves that declare a quadratic objective are evaluated together as one
sparse product by :meth:`value`, :meth:`value_and_grad` and :meth:`value_and_field`
(:mod:`catopt.program.quadratic`); :meth:`run` is always the generic kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from catopt.algebra.gluing import pullback, pushforward
from catopt.algebra.protocol import OpenParts
from catopt.algebra.ring import REAL, Ring
from catopt.errors import CatoptError, ObjectiveError
from catopt.program.quadratic import CompiledQuadratic, compile_quadratic

__all__ = ["Program", "in_leaf"]


def in_leaf(e: CatoptError, leaf: str) -> CatoptError:
    """``e`` with its message prefixed by the box (leaf) it happened in."""
    msg = f"box {leaf!r}: {e}"
    try:
        return type(e)(msg)
    except TypeError:
        return ObjectiveError(msg)


class Program:
    """Leaves, a gather index and offsets, with the kernels that evaluate them.

    Parameters
    ----------
    n
        The number of state coordinates.
    leaves
        The compiled units; each has a ``size`` and the methods its kernels call
        (``value``/``value_and_grad`` for objectives, ``value_and_field`` for vector fields,
        ``value_and_update`` for discrete updates).
    leaf_names
        The box path of each leaf, used in error messages and plans.
    index
        The gather index (leaf coordinate -> state coordinate); None is the identity
        (one leaf on the whole state).
    ring
        The coefficient ring of the scatter-adds.
    compile
        Whether :meth:`value`, :meth:`value_and_grad` and :meth:`value_and_field` evaluate
        the leaves that declare a quadratic form as one sparse operator (:attr:`compiled`);
        False keeps every leaf on the generic kernel.
    """

    __slots__ = ("n", "leaves", "leaf_names", "index", "ring", "offsets", "_offs", "_quad")

    def __init__(self, n: int, leaves: Sequence[Any], leaf_names: Sequence[str],
                 index: np.ndarray | None, ring: Ring = REAL, *, compile: bool = True) -> None:
        self.n = int(n)
        self.leaves = tuple(leaves)
        self.leaf_names = tuple(leaf_names)
        self.index = index
        self.ring = ring
        sizes = [leaf.size for leaf in self.leaves]
        self.offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
        self._offs: list[int] = self.offsets.tolist()  # for the per-leaf loop
        #: the compiled quadratic leaves: False until first needed, None when there are none
        self._quad: CompiledQuadratic | None | bool = False if compile else None

    @classmethod
    def of(cls, parts: OpenParts, ring: Ring = REAL) -> Program:
        """The program of an open thing's parts."""
        return cls(parts.space.n, parts.leaves, parts.leaf_names, parts.index, ring)

    @property
    def gather_index(self) -> np.ndarray:
        """The gather index with the identity spelt out."""
        if self.index is None:
            return np.arange(self.n, dtype=np.int64)
        return self.index

    def leaf_slice(self, k: int) -> slice:
        """The block of leaf ``k`` in the concatenated leaf coordinates."""
        return slice(self._offs[k], self._offs[k + 1])

    # -- the one kernel -----------------------------------------------------------------------
    def run(self, y: np.ndarray, method: str, *args: Any, vector: bool = True,
            values: np.ndarray | None = None,
            ) -> tuple[float | None, np.ndarray, np.ndarray | None]:
        """Gather, call ``leaf.<method>(x_leaf, *args)`` on every leaf, and collect.

        With ``vector`` the method returns ``(value or None, vector of the leaf's size)``;
        otherwise a scalar value. Returns ``(total, xs, outs)``: the leaves' values summed in
        leaf order (None as soon as one leaf has none), the gathered state ``xs = phi^* y`` and
        the leaves' vectors concatenated (not yet scattered; None without ``vector``). With
        ``values``, each leaf's value is also stored there (an MPI rank reports them so that
        the objective is summed in the composite's leaf order on every engine).
        """
        leaves = self.leaves
        xs = y if self.index is None else pullback(self.index, y)
        outs = np.empty_like(xs) if vector else None
        offs = self._offs
        total: float | None = 0.0
        k = 0
        try:
            for k, leaf in enumerate(leaves):
                a, b = offs[k], offs[k + 1]
                if vector:
                    val, outs[a:b] = getattr(leaf, method)(xs[a:b], *args)  # type: ignore[index]
                else:
                    val = getattr(leaf, method)(xs[a:b], *args)
                if values is not None:
                    values[k] = np.nan if val is None else val
                total = None if val is None or total is None else total + val
        except CatoptError as e:
            raise in_leaf(e, self.leaf_names[k]) from e
        return total, xs, outs

    def scatter(self, v: np.ndarray) -> np.ndarray:
        """``phi_* v`` in the program's ring (the leaves' vectors summed into the state)."""
        if self.index is None:
            return v if self.ring.exact else self.ring.reduce(v)
        return pushforward(self.index, v, self.n, self.ring)

    # -- the kernels of the algebras ----------------------------------------------------------
    @property
    def compiled(self) -> CompiledQuadratic | None:
        """The program's quadratic leaves compiled into one sparse operator (built on first
        use; None when no leaf declares a quadratic form): see
        :mod:`catopt.program.quadratic`. :meth:`value`, :meth:`value_and_grad` and
        :meth:`value_and_field` use it; :meth:`run` (and so the MPI ranks) never does."""
        if self._quad is False:
            self._quad = compile_quadratic(self)
        return self._quad  # type: ignore[return-value]

    def _vector(self, y: np.ndarray, method: str) -> tuple[float | None, np.ndarray]:
        """``(total, phi_* outs)`` of the leaves' ``method``, the quadratic ones compiled."""
        q = self.compiled
        if q is None:
            total, _, out = self.run(y, method)
            return total, self.scatter(out)  # type: ignore[arg-type]
        v, g = q.evaluate(y)
        if q.rest is None:
            return v, g
        total, rest = q.rest._vector(y, method)
        g += rest
        return (None if total is None else total + v), g

    def value(self, y: np.ndarray) -> float:
        """The objective ``f(y) = sum_b f_b(phi^* y)``."""
        q = self.compiled
        if q is None:
            return float(self.run(y, "value", vector=False)[0])  # type: ignore[arg-type]
        v = q.evaluate(y)[0]
        return v if q.rest is None else v + q.rest.value(y)

    def value_and_grad(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        """``(f(y), grad f(y))`` with ``grad f = phi_* (sum_b grad f_b)(phi^* y)``."""
        return self._vector(y, "value_and_grad")  # type: ignore[return-value]

    def value_and_field(self, y: np.ndarray) -> tuple[float | None, np.ndarray]:
        """The vector field ``v(y) = phi_* (sum_b v_b)(phi^* y)`` and the objective when every
        leaf knows one (gradient systems do)."""
        return self._vector(y, "value_and_field")

    def value_and_update(self, y: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        """The update ``u(y) = y + phi_*((sum_b u_b)(phi^* y) - phi^* y)`` at iteration
        ``t`` (increments pushed, not states), and the objective when the leaves know it."""
        if self.index is None and not self.leaves:
            return 0.0, y.copy()
        total, xs, us = self.run(y, "value_and_update", t)
        assert us is not None
        if self.index is None:
            return total, us if self.ring.exact else self.ring.reduce(us)
        us -= xs
        new = y + np.bincount(self.index, weights=us, minlength=self.n)
        return total, new if self.ring.exact else self.ring.reduce(new)

    # -- agents -------------------------------------------------------------------------------
    def restrict(self, leaves: np.ndarray, coords: np.ndarray) -> Program:
        """The program of the given leaves alone, on the state coordinates ``coords``
        (sorted; every coordinate those leaves read): an agent's share of the composite,
        whose run on ``y[coords]`` gives the same leaf outputs as on ``y``."""
        ids = np.asarray(leaves, dtype=np.int64).tolist()
        full = self.gather_index
        pos = (np.concatenate([np.arange(self._offs[k], self._offs[k + 1]) for k in ids])
               if ids else np.zeros(0, np.int64)).astype(np.int64)
        local = np.searchsorted(coords, full[pos]).astype(np.int64)
        return Program(len(coords), [self.leaves[k] for k in ids],
                       [self.leaf_names[k] for k in ids], local, self.ring)

    def __repr__(self) -> str:
        return f"Program(n={self.n}, leaves={len(self.leaves)}, ring={self.ring.name})"
