"""From morphism expressions to undirected wiring diagrams.

Every generator box becomes a box of the UWD, every wire a junction; ``>>`` identifies the
codomain junctions of the first with the domain junctions of the second, ``@`` puts diagrams
side by side, the dagger swaps a diagram's domain and codomain, and the structural
generators (identities, symmetry, Frobenius maps) are pure wiring: they identify junctions
and add no box. Outer ports: domain, then codomain.
"""

from __future__ import annotations

from catopt.category.morphism import Expr
from catopt.program.open import Open
from catopt.wiring.quotient import quotient
from catopt.wiring.uwd import UWD, Shape

__all__ = ["to_uwd"]


class _Compiler:
    def __init__(self) -> None:
        self.shapes: list[Shape] = []
        self.boxes: list[tuple[str, list[int]]] = []
        self.fillers: list[Open] = []
        self.pairs: list[tuple[int, int]] = []

    def fresh(self, shapes: tuple[Shape, ...]) -> list[int]:
        start = len(self.shapes)
        self.shapes.extend(shapes)
        return list(range(start, start + len(shapes)))

    def walk(self, e: Expr) -> tuple[list[int], list[int]]:
        op = e.op
        if op == "box":
            dom, cod = self.fresh(e.dom), self.fresh(e.cod)
            assert e.thing is not None
            self.boxes.append((e.name, dom + cod))
            self.fillers.append(e.thing)
            return dom, cod
        if op == "then":
            d1, c1 = self.walk(e.args[0])
            d2, c2 = self.walk(e.args[1])
            self.pairs.extend(zip(c1, d2, strict=True))
            return d1, c2
        if op == "tensor":
            d1, c1 = self.walk(e.args[0])
            d2, c2 = self.walk(e.args[1])
            return d1 + d2, c1 + c2
        if op == "dagger":
            d1, c1 = self.walk(e.args[0])
            return c1, d1
        if op == "id":
            js = self.fresh(e.dom)
            return js, js
        if op == "swap":
            k = int(e.name)  # the domain is X (x) Y with k wires in X
            js = self.fresh(e.dom)
            return js, js[k:] + js[:k]
        if op in ("copy", "merge", "create", "delete"):
            (j,) = self.fresh(((e.dom or e.cod)[0],))
            return [j] * len(e.dom), [j] * len(e.cod)
        raise ValueError(f"unknown expression {op!r}")


def to_uwd(expr: Expr) -> tuple[UWD, list[Open]]:
    """The UWD of a morphism expression and the open things filling its boxes, in order."""
    c = _Compiler()
    dom, cod = c.walk(expr)
    rep = quotient(len(c.shapes), c.pairs).tolist()
    order: dict[int, None] = {}
    for j in dom + cod:
        order.setdefault(rep[j])
    for _, ports in c.boxes:
        for j in ports:
            order.setdefault(rep[j])
    for j in range(len(c.shapes)):
        order.setdefault(rep[j])
    name = {r: f"w{k}" for k, r in enumerate(order)}
    d = UWD(
        [(b, [name[rep[j]] for j in ports]) for b, ports in c.boxes],
        [name[rep[j]] for j in dom + cod],
        junctions=list(name.values()),
        shapes={name[r]: c.shapes[r] for r in order},
    )
    return d, c.fillers
