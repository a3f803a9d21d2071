"""String diagrams of morphism expressions, drawn left to right with graphviz.

Generator boxes are boxes; copy, merge, create and delete are black dots; identities and the
symmetry are plain wires (the symmetry crosses them); a dagger draws its expression with
the sides exchanged. The domain enters on the left and the codomain leaves on the right.
"""

from __future__ import annotations

from typing import Any

from catopt.category.morphism import Expr, Morphism
from catopt.interfaces.figure import Figure
from catopt.wiring.quotient import quotient

__all__ = ["string_diagram_dot", "string_diagram_figure"]


class _Walker:
    def __init__(self) -> None:
        self.nodes: list[tuple[str, dict[str, str]]] = []
        self.ends: list[str | None] = []  # point -> node it attaches to (None: a bare wire)
        self.pairs: list[tuple[int, int]] = []

    def point(self, node: str | None) -> int:
        self.ends.append(node)
        return len(self.ends) - 1

    def node(self, name: str, **attrs: str) -> str:
        key = f"n{len(self.nodes)}"
        self.nodes.append((key, {"label": name, **attrs}))
        return key

    def walk(self, e: Expr) -> tuple[list[int], list[int]]:
        if e.op == "box":
            n = self.node(e.name, shape="box", style="rounded")
            return [self.point(n) for _ in e.dom], [self.point(n) for _ in e.cod]
        if e.op == "then":
            d1, c1 = self.walk(e.args[0])
            d2, c2 = self.walk(e.args[1])
            self.pairs.extend(zip(c1, d2, strict=True))
            return d1, c2
        if e.op == "tensor":
            d1, c1 = self.walk(e.args[0])
            d2, c2 = self.walk(e.args[1])
            return d1 + d2, c1 + c2
        if e.op == "dagger":
            d1, c1 = self.walk(e.args[0])
            return c1, d1
        if e.op == "id":
            ps = [self.point(None) for _ in e.dom]
            return ps, ps
        if e.op == "swap":
            k = int(e.name)
            ps = [self.point(None) for _ in e.dom]
            return ps, ps[k:] + ps[:k]
        n = self.node("", shape="point", width="0.12", color="black", tooltip=e.op)
        return [self.point(n) for _ in e.dom], [self.point(n) for _ in e.cod]


def string_diagram_dot(m: Morphism, *, title: str | None = None) -> Any:
    """The graphviz ``Digraph`` of ``m``'s expression, left to right
    (:func:`string_diagram_figure` rendered)."""
    return string_diagram_figure(m, title=title).to_graphviz()


def string_diagram_figure(m: Morphism, *, title: str | None = None) -> Figure:
    """The string diagram of ``m``'s expression as a neutral figure, left to right."""
    w = _Walker()
    dom, cod = w.walk(m.expr)
    g = Figure(name="string_diagram", engine="dot", directed=True)
    g.attr(rankdir="LR", fontname="Helvetica", splines="spline", nodesep="0.3")
    if title:
        g.attr(label=title, labelloc="t")
    g.attr("node", fontname="Helvetica", fontsize="12")
    g.attr("edge", arrowhead="none", fontname="Helvetica", fontsize="9")
    for key, attrs in w.nodes:
        g.node(key, **attrs)
    with g.subgraph(name="inputs") as s:
        s.attr(rank="source")
        for i in range(len(dom)):
            s.node(f"in{i}", label="", shape="point", style="invis")
    with g.subgraph(name="outputs") as s:
        s.attr(rank="sink")
        for i in range(len(cod)):
            s.node(f"out{i}", label="", shape="point", style="invis")
    rep = quotient(len(w.ends), w.pairs).tolist()
    attached: dict[int, list[str]] = {}
    for p, node in enumerate(w.ends):
        attached.setdefault(rep[p], [])
        if node is not None:
            attached[rep[p]].append(node)
    # each wire's left end first: boundary inputs, then nodes in walk order
    for i, p in enumerate(dom):
        attached[rep[p]].insert(0, f"in{i}")
    for i, p in enumerate(cod):
        attached[rep[p]].append(f"out{i}")
    shapes = {}
    for p, s in zip(dom, m.dom, strict=True):
        shapes[rep[p]] = s
    for p, s in zip(cod, m.cod, strict=True):
        shapes[rep[p]] = s
    for root, ends in attached.items():
        label = "x".join(map(str, shapes.get(root, ()))) or ""
        for a, b in zip(ends, ends[1:], strict=False):
            g.edge(a, b, label=label)
    return g
