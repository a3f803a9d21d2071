"""Identities, the symmetry and the Frobenius generators: spans of diagonals with the zero
objective (or the zero vector field, or the identity update, for systems).

Each is an open thing on one variable per wire whose portmap is not injective: ``copy`` on a
wire of shape ``s`` is one variable exposed three times (domain once, codomain twice), so
composing with it *shares* that variable. They compile to pure wiring (junctions, no boxes).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.category.morphism import Boundary, Expr, Morphism, boundary
from catopt.errors import CompositionError
from catopt.problems.base import Open
from catopt.problems.open_problem import OpenProblem
from catopt.systems.open_system import OpenContinuousSystem, OpenDiscreteSystem
from catopt.wiring.space import Space
from catopt.wiring.uwd import normalize_shape

__all__ = ["identity", "swap", "copy", "merge", "create", "delete", "KINDS"]

KINDS: dict[str, type[Open]] = {
    "problem": OpenProblem,
    "continuous": OpenContinuousSystem,
    "discrete": OpenDiscreteSystem,
}


def _zero(kind: str, shapes: Boundary, ports: list[int]) -> Open:
    """The zero open thing on variables ``w0, w1, ...`` of ``shapes`` with ``ports``."""
    if kind not in KINDS:
        raise CompositionError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")
    space = Space([(f"w{i}", s) for i, s in enumerate(shapes)])
    cls: Any = KINDS[kind]
    return cls._from_parts(space, tuple(ports), [], [], np.zeros(0, dtype=np.int64))


def _generator(op: str, kind: str, shapes: Boundary, dom_vars: list[int],
               cod_vars: list[int], name: str = "") -> Morphism:
    thing = _zero(kind, shapes, dom_vars + cod_vars)
    dom = tuple(shapes[v] for v in dom_vars)
    cod = tuple(shapes[v] for v in cod_vars)
    return Morphism._make(thing, dom, cod, Expr(op, name=name, dom=dom, cod=cod))


def identity(X: Any, kind: str = "problem") -> Morphism:
    """``id_X : X -> X``: each wire's variable exposed on both sides."""
    b = boundary(X, "identity's boundary")
    idx = list(range(len(b)))
    return _generator("id", kind, b, idx, idx)


def swap(X: Any, Y: Any, kind: str = "problem") -> Morphism:
    """The symmetry ``X (x) Y -> Y (x) X``."""
    bx, by = boundary(X, "swap's first boundary"), boundary(Y, "swap's second boundary")
    xs = list(range(len(bx)))
    ys = list(range(len(bx), len(bx) + len(by)))
    return _generator("swap", kind, bx + by, xs + ys, ys + xs, name=str(len(bx)))


def _wire(shape: Any, what: str) -> Boundary:
    return (normalize_shape(shape, f"the wire of {what}"),)


def _count(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise CompositionError(f"{what} needs a non-negative number of copies, got {n!r}")
    return n


def copy(shape: Any = (), n: int = 2, kind: str = "problem") -> Morphism:
    """The comultiplication ``delta: X -> X (x) ... (x) X`` (``n`` copies; ``n = 2`` is the
    Frobenius generator, ``n = 0`` is ``delete``)."""
    return _generator("copy", kind, _wire(shape, "copy"), [0], [0] * _count(n, "copy"))


def merge(shape: Any = (), n: int = 2, kind: str = "problem") -> Morphism:
    """The multiplication ``mu: X (x) ... (x) X -> X`` (``n`` inputs)."""
    return _generator("merge", kind, _wire(shape, "merge"), [0] * _count(n, "merge"), [0])


def create(shape: Any = (), kind: str = "problem") -> Morphism:
    """The unit ``eta: I -> X``: a fresh variable exposed on the codomain."""
    return _generator("create", kind, _wire(shape, "create"), [], [0])


def delete(shape: Any = (), kind: str = "problem") -> Morphism:
    """The counit ``epsilon: X -> I``: the variable is kept, but not exposed."""
    return _generator("delete", kind, _wire(shape, "delete"), [0], [])
