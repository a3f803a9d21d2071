"""Open objectives (and open systems) as morphisms of a hypergraph category.

A morphism ``F: X -> Y`` between lists of wire shapes is the span ``X <- N -> Y`` with an
objective on the apex ``N``: an open problem whose ports are the domain wires, then the
codomain wires. ``F >> G`` composes by sharing ``Y`` (the pullback of the apexes is the pushout
of the cospan, objectives summed) and ``F @ G`` is the monoidal product (disjoint union). The
Frobenius generators (merge, copy, create, delete), identities and the symmetry are spans of
diagonals with the zero objective; see :mod:`catopt.category.generators`.

Each morphism keeps its syntax tree (``expr``), so an expression also compiles to one UWD
plus its boxes (:func:`catopt.category.syntax.to_uwd`): the diagrammatic syntax stays apart
from its semantics, as in Catlab.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from catopt.errors import CompositionError
from catopt.limits import check_limit
from catopt.problems.compose import compose
from catopt.program.open import Open
from catopt.validate import integer
from catopt.wiring.uwd import UWD, Shape, normalize_shape

__all__ = ["Morphism", "Expr", "boundary", "as_morphism"]

Boundary = tuple[Shape, ...]


def boundary(shapes: Any, what: str = "boundary") -> Boundary:
    """Normalize a boundary: a list of wire shapes (``[(), (3,)]``); an int ``n`` is ``n``
    scalar wires."""
    if isinstance(shapes, int) and not isinstance(shapes, bool):
        if shapes < 0:
            raise CompositionError(f"{what} must have a non-negative number of wires")
        check_limit("max_junctions", shapes, f"the {what}")
        return ((),) * shapes
    try:
        items = list(shapes)
    except TypeError:
        raise CompositionError(
            f"{what} must be a list of wire shapes or a number of scalar wires, got {shapes!r}"
        ) from None
    return tuple(normalize_shape(s, f"wire {k} of the {what}") for k, s in enumerate(items))


def _show(b: Boundary) -> str:
    if not b:
        return "I"
    return " (x) ".join("R" if s == () else "R^" + "x".join(map(str, s)) for s in b)


@dataclass(frozen=True)
class Expr:
    """The syntax tree of a morphism expression.

    ``op`` is ``"box"`` (a named generator box holding an open thing), ``"then"`` (``>>``),
    ``"tensor"`` (``@``), ``"dagger"`` (the transpose) or a structural generator: ``"id"``,
    ``"swap"``, ``"copy"``, ``"merge"``, ``"create"``, ``"delete"``.
    """

    op: str
    args: tuple[Expr, ...] = ()
    name: str = ""
    dom: Boundary = ()
    cod: Boundary = ()
    thing: Open | None = None

    def __str__(self) -> str:
        if self.op == "box":
            return self.name
        if self.op == "then":
            return f"({self.args[0]} >> {self.args[1]})"
        if self.op == "tensor":
            return f"({self.args[0]} @ {self.args[1]})"
        if self.op == "dagger":
            return f"{self.args[0]}^T"
        return f"{self.op}[{_show(self.dom)} -> {_show(self.cod)}]"


class Morphism:
    """A morphism ``dom -> cod`` carried by an open problem or open system.

    Parameters
    ----------
    thing
        An :class:`~catopt.OpenProblem`, ``OpenContinuousSystem`` or ``OpenDiscreteSystem``
        whose ports are the domain wires followed by the codomain wires.
    n_dom
        How many of its ports are the domain.
    name
        The name of this generator box in expressions, drawings and compiled UWDs.
    """

    __slots__ = ("thing", "dom", "cod", "expr")

    def __init__(self, thing: Open, n_dom: int, *, name: str | None = None) -> None:
        if not isinstance(thing, Open):
            raise CompositionError(
                f"a morphism is carried by an open problem or system, got {type(thing).__name__}"
            )
        shapes = thing.port_shapes
        n_dom = integer(n_dom, "n_dom", minimum=0, maximum=len(shapes), error=CompositionError,
                        expected=f"an int from 0 to the {len(shapes)} ports")
        self.thing = thing
        self.dom: Boundary = tuple(shapes[:n_dom])
        self.cod: Boundary = tuple(shapes[n_dom:])
        label = name or thing.name or "F"
        self.expr = Expr("box", name=label, dom=self.dom, cod=self.cod, thing=thing)

    @classmethod
    def from_expr(cls, thing: Open, dom: Boundary, cod: Boundary, expr: Expr) -> Morphism:
        """The morphism ``dom -> cod`` carried by ``thing`` with syntax tree ``expr`` (what
        compositions and generators build)."""
        m = cls.__new__(cls)
        m.thing, m.dom, m.cod, m.expr = thing, dom, cod, expr
        return m

    @classmethod
    def from_uwd(cls, d: UWD, fillers: Any, n_dom: int) -> Morphism:
        """The morphism of a UWD whose first ``n_dom`` outer ports are the domain."""
        return cls(compose(d, fillers), n_dom, name=None)

    @property
    def kind(self) -> str:
        """The algebra of the carried thing: ``"problem"``, ``"continuous"``, ``"discrete"``,
        or e.g. ``"problem over Z2"``."""
        return self.thing.algebra.describe()

    # -- composition ---------------------------------------------------------------------
    def then(self, other: Morphism) -> Morphism:
        """``self >> other``: share the codomain of ``self`` with the domain of ``other``."""
        other = as_morphism(other)
        if self.cod != other.dom:
            raise CompositionError(
                f"cannot compose {self.expr} : {_show(self.dom)} -> {_show(self.cod)} with "
                f"{other.expr} : {_show(other.dom)} -> {_show(other.cod)}: the codomain "
                f"{_show(self.cod)} differs from the domain {_show(other.dom)}"
            )
        x = [f"x{i}" for i in range(len(self.dom))]
        y = [f"y{i}" for i in range(len(self.cod))]
        z = [f"z{i}" for i in range(len(other.cod))]
        shapes = {**dict(zip(x, self.dom, strict=True)), **dict(zip(y, self.cod, strict=True)),
                  **dict(zip(z, other.cod, strict=True))}
        d = UWD([("F", x + y), ("G", y + z)], x + z, junctions=x + z + y, shapes=shapes)
        thing = compose(d, _common(self.thing, other.thing))
        return Morphism.from_expr(thing, self.dom, other.cod, Expr("then", (self.expr, other.expr)))

    def tensor(self, other: Morphism) -> Morphism:
        """``self @ other``: side by side, nothing shared."""
        other = as_morphism(other)
        a = [f"a{i}" for i in range(len(self.dom))]
        b = [f"b{i}" for i in range(len(self.cod))]
        c = [f"c{i}" for i in range(len(other.dom))]
        e = [f"e{i}" for i in range(len(other.cod))]
        shapes = {}
        for names, bd in ((a, self.dom), (b, self.cod), (c, other.dom), (e, other.cod)):
            shapes.update(zip(names, bd, strict=True))
        d = UWD([("F", a + b), ("G", c + e)], a + c + b + e, shapes=shapes)
        thing = compose(d, _common(self.thing, other.thing))
        return Morphism.from_expr(thing, self.dom + other.dom, self.cod + other.cod,
                              Expr("tensor", (self.expr, other.expr)))

    def after(self, other: Morphism) -> Morphism:
        """``self o other = other >> self``: composition in applicative order, as the paper
        writes it (``(F_1 (x) ... (x) F_N) o delta^N`` is ``tensor_all(Fs) << copy(W0, N)``)."""
        return as_morphism(other).then(self)

    def dagger(self) -> Morphism:
        """The transpose ``Y -> X``: the same span read backwards, ``Y <- N -> X`` (the
        dagger of the hypergraph category; it sends copy to merge and create to delete)."""
        x = [f"x{i}" for i in range(len(self.dom))]
        y = [f"y{i}" for i in range(len(self.cod))]
        shapes = {**dict(zip(x, self.dom, strict=True)), **dict(zip(y, self.cod, strict=True))}
        d = UWD([("F", x + y)], y + x, junctions=y + x, shapes=shapes)
        thing = compose(d, [self.thing])
        return Morphism.from_expr(thing, self.cod, self.dom, Expr("dagger", (self.expr,),
                                                               dom=self.cod, cod=self.dom))

    @property
    def T(self) -> Morphism:  # noqa: N802 -- the mathematical notation
        """Shorthand for :meth:`dagger`."""
        return self.dagger()

    def __rshift__(self, other: Morphism) -> Morphism:
        return self.then(other)

    def __lshift__(self, other: Morphism) -> Morphism:
        return self.after(other)

    def __matmul__(self, other: Morphism) -> Morphism:
        return self.tensor(other)

    # -- the functor ------------------------------------------------------------------------
    def map_open(self, functor: Callable[[Open], Open]) -> Morphism:
        """Apply a functor on open things (``gradient_flow``, ``gradient_descent``, ...) to
        this morphism; the syntax tree is kept, its boxes mapped."""
        return Morphism.from_expr(functor(self.thing), self.dom, self.cod,
                              _map_expr(self.expr, functor))

    # -- views ------------------------------------------------------------------------------
    def to_uwd(self) -> tuple[UWD, list[Open]]:
        """Compile the expression to one UWD and the open things filling its boxes."""
        from catopt.category.syntax import to_uwd

        return to_uwd(self.expr)

    def __repr__(self) -> str:
        return f"Morphism({self.expr} : {_show(self.dom)} -> {_show(self.cod)}, {self.kind})"


def _map_expr(expr: Expr, functor: Callable[[Open], Open]) -> Expr:
    if expr.op == "box":
        assert expr.thing is not None
        return Expr("box", name=expr.name, dom=expr.dom, cod=expr.cod, thing=functor(expr.thing))
    if expr.args:
        return Expr(expr.op, tuple(_map_expr(a, functor) for a in expr.args), expr.name,
                    expr.dom, expr.cod)
    return expr


def _common(a: Open, b: Open) -> list[Open]:
    """``[a, b]`` in one algebra: a structural generator (pure wiring, no leaves) takes the
    algebra of the other side, so the Frobenius maps compose with boxes of every algebra."""
    if a.algebra == b.algebra:
        return [a, b]
    if not a.leaves:
        return [b.algebra.assemble(a.parts), b]
    if not b.leaves:
        return [a, a.algebra.assemble(b.parts)]
    return [a, b]  # compose names the mismatch


def as_morphism(m: Any) -> Morphism:
    if not isinstance(m, Morphism):
        raise CompositionError(f"expected a Morphism, got {type(m).__name__}")
    return m


def tensor_all(ms: Sequence[Morphism]) -> Morphism:
    """``ms[0] @ ms[1] @ ...`` (left to right)."""
    if not ms:
        raise CompositionError("tensor_all needs at least one morphism")
    out = ms[0]
    for m in ms[1:]:
        out = out @ m
    return out
