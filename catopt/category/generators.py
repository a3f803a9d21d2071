"""Identities, the symmetry and the Frobenius generators: spans of diagonals with the zero
objective (or the zero vector field, or the identity update, for systems).

Each is an open thing on one variable per wire whose portmap is not injective: ``copy`` on a
wire of shape ``s`` is one variable exposed three times (domain once, codomain twice), so
composing with it *shares* that variable. They compile to pure wiring (junctions, no boxes).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.algebra.finset import Space
from catopt.algebra.protocol import OpenParts, UWDAlgebra
from catopt.algebra.ring import Z2
from catopt.category.morphism import Boundary, Expr, Morphism, boundary
from catopt.errors import CompositionError
from catopt.limits import check_limit
from catopt.problems.open_problem import ProblemAlgebra
from catopt.program.open import Open
from catopt.systems.open_system import ContinuousAlgebra, DiscreteAlgebra
from catopt.validate import integer
from catopt.wiring.uwd import normalize_shape

__all__ = ["identity", "swap", "copy", "merge", "create", "delete", "zero", "KINDS"]

#: the algebras a generator can be made in by name (any UWDAlgebra instance works too; and a
#: generator composed with a box of another algebra takes that box's algebra)
KINDS: dict[str, UWDAlgebra] = {
    "problem": ProblemAlgebra(),
    "continuous": ContinuousAlgebra(),
    "discrete": DiscreteAlgebra(),
    "z2problem": ProblemAlgebra(Z2),
    "z2continuous": ContinuousAlgebra(Z2),
    "z2discrete": DiscreteAlgebra(Z2),
}


def zero(kind: str | UWDAlgebra, shapes: Boundary, ports: list[int]) -> Open:
    """The zero open thing of an algebra: variables ``w0, w1, ...`` of ``shapes``, no boxes.

    Its objective (or vector field) is identically 0; port ``k`` exposes variable
    ``ports[k]``, and a variable may be exposed more than once. The generators (identity,
    copy, merge, create, delete) are zero things with the ports their wiring names.

    Parameters
    ----------
    kind : str or UWDAlgebra
        An algebra by name (a key of :data:`KINDS`) or an instance.
    shapes : tuple
        The variables' shapes (each a tuple of ints).
    ports : list[int]
        For each port, the index of the variable it exposes.
    """
    if isinstance(kind, UWDAlgebra):
        algebra = kind
    elif isinstance(kind, str) and kind in KINDS:
        algebra = KINDS[kind]
    else:
        raise CompositionError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)} or a "
                               f"UWDAlgebra")
    space = Space([(f"w{i}", s) for i, s in enumerate(shapes)])
    return algebra.assemble(OpenParts(space, tuple(ports), (), (), np.zeros(0, dtype=np.int64)))


def _generator(op: str, kind: str, shapes: Boundary, dom_vars: list[int],
               cod_vars: list[int], name: str = "") -> Morphism:
    thing = zero(kind, shapes, dom_vars + cod_vars)
    dom = tuple(shapes[v] for v in dom_vars)
    cod = tuple(shapes[v] for v in cod_vars)
    return Morphism.from_expr(thing, dom, cod, Expr(op, name=name, dom=dom, cod=cod))


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
    n = integer(n, f"{what}'s number of copies", minimum=0, error=CompositionError,
                expected="a non-negative int")
    check_limit("max_ports", n, f"the {what}")
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
