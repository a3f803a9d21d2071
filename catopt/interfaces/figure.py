"""A drawing as data, and its two renderers.

Every drawing of catopt (diagrams, composite problems, distributed systems, string diagrams,
flow networks) is first built as a :class:`Figure`: nodes and edges with their attributes, in
nested clusters, written through the same calls as a graphviz graph (``node``, ``edge``,
``attr``, ``subgraph``). Two renderers read it:

- :meth:`Figure.to_graphviz`, the graphviz graph (laid out by ``dot`` or ``neato``); every
  label is passed as plain text (never as an HTML-like label) with control characters escaped;
- :func:`render_matplotlib`, networkx's spring layout drawn with matplotlib, for machines
  without graphviz's ``dot``: boxes as labelled ellipses, junctions as black dots with their
  names beside them, outer ports as dangling wires.

Neither parses the other's output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catopt.fileio import atomic_path
from catopt.interfaces.dot_text import plain

__all__ = ["Figure", "render_matplotlib"]

#: attributes whose values are text shown to the reader
TEXT_ATTRS = ("label", "xlabel", "taillabel", "headlabel", "tooltip")


def _texts(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(v) if k in TEXT_ATTRS else v for k, v in attrs.items()}


@dataclass
class Figure:
    """Nodes, edges and attributes of a drawing, with nested clusters (see the module
    docstring). ``directed`` draws arrows; ``engine`` is graphviz's layout program."""

    name: str = "figure"
    engine: str = "dot"
    directed: bool = False
    graph_attrs: dict[str, Any] = field(default_factory=dict)
    node_attrs: dict[str, Any] = field(default_factory=dict)
    edge_attrs: dict[str, Any] = field(default_factory=dict)
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    clusters: list[Figure] = field(default_factory=list)

    # -- building: the calls of a graphviz graph ---------------------------------------------
    def attr(self, kind: str | None = None, **attrs: Any) -> None:
        """Set attributes of the graph (``kind`` None), or defaults of ``"node"``/``"edge"``."""
        target = {None: self.graph_attrs, "graph": self.graph_attrs, "node": self.node_attrs,
                  "edge": self.edge_attrs}[kind]
        target.update(attrs)

    def node(self, key: str, label: str | None = None, **attrs: Any) -> None:
        if label is not None:
            attrs["label"] = label
        self.nodes.setdefault(key, {}).update(attrs)

    def edge(self, a: str, b: str, **attrs: Any) -> None:
        self.edges.append((a, b, attrs))

    @contextlib.contextmanager
    def subgraph(self, name: str) -> Iterator[Figure]:
        """A cluster (``name`` starting with ``cluster``) or a group of nodes."""
        child = Figure(name=name, engine=self.engine, directed=self.directed)
        yield child
        self.clusters.append(child)

    def add(self, other: Figure) -> None:
        """Put ``other``'s nodes and edges into this figure (as a cluster when its name says)."""
        self.clusters.append(other)

    # -- reading -----------------------------------------------------------------------------
    def all_nodes(self) -> dict[str, dict[str, Any]]:
        """Every node, clusters included, with its attributes (defaults applied)."""
        out = {k: {**self.node_attrs, **a} for k, a in self.nodes.items()}
        for c in self.clusters:
            for k, a in c.all_nodes().items():
                out.setdefault(k, {**self.node_attrs, **a})
        return out

    def all_edges(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Every edge, clusters included, with its attributes (defaults applied)."""
        out = [(a, b, {**self.edge_attrs, **e}) for a, b, e in self.edges]
        for c in self.clusters:
            out += [(a, b, {**self.edge_attrs, **e}) for a, b, e in c.all_edges()]
        return out

    def wires(self) -> list[tuple[str, str]]:
        """The visible edges (layout helpers drawn invisible left out)."""
        return [(a, b) for a, b, e in self.all_edges() if e.get("style") != "invis"]

    # -- the graphviz renderer ---------------------------------------------------------------
    def to_graphviz(self) -> Any:
        """The graphviz graph of this figure (``.figure`` on it is this figure)."""
        import graphviz

        cls = graphviz.Digraph if self.directed else graphviz.Graph
        g = cls(name=self.name, engine=self.engine)
        self._fill(g)
        g.figure = self  # type: ignore[attr-defined]
        return g

    def _fill(self, g: Any) -> None:
        if self.graph_attrs:
            g.attr(**_texts(self.graph_attrs))
        if self.node_attrs:
            g.attr("node", **_texts(self.node_attrs))
        if self.edge_attrs:
            g.attr("edge", **_texts(self.edge_attrs))
        for key, attrs in self.nodes.items():
            g.node(key, **_texts(attrs))
        for c in self.clusters:
            with g.subgraph(name=c.name) as s:
                c._fill(s)
        for a, b, attrs in self.edges:
            g.edge(a, b, **_texts(attrs))


def render_matplotlib(fig: Figure, path: Path, fmt: str) -> Path:
    """Draw ``fig`` with networkx's spring layout and matplotlib (no graphviz needed): boxes as
    labelled ellipses, junctions as labelled black dots, outer ports as dangling wires."""
    import networkx as nx

    from catopt.interfaces.plot import pyplot

    plt = pyplot()
    nodes = fig.all_nodes()
    wires = fig.wires()
    # a junction's name (a plaintext node beside its dot, held by an invisible edge) is
    # written beside the dot, not laid out as a node of its own
    beside = {b: a for a, b, e in fig.all_edges()
              if e.get("style") == "invis" and nodes.get(b, {}).get("shape") == "plaintext"}
    g = nx.Graph()
    g.add_nodes_from(v for v in nodes if v not in beside)
    g.add_edges_from(wires)
    pos = nx.spring_layout(g, seed=0)
    for v, j in beside.items():
        pos[v] = pos[j]
    mpl_fig, ax = plt.subplots(figsize=(7, 5))
    nx.draw_networkx_edges(g, pos, ax=ax)
    dots = [v for v, a in nodes.items() if a.get("shape") == "point" and a.get("style") != "invis"]
    big = [v for v, a in nodes.items()
           if a.get("shape") not in ("point", "circle", "plaintext") and v in pos]
    nx.draw_networkx_nodes(g, pos, nodelist=dots, node_size=30, node_color="black", ax=ax)
    nx.draw_networkx_nodes(g, pos, nodelist=big, node_size=1600, node_color="white",
                           edgecolors="black", ax=ax)
    for v, a in nodes.items():
        text = str(a.get("label") or a.get("xlabel", ""))
        if text and a.get("style") != "invis" and v in pos:
            offset = 0.06 if v in dots or v in beside else 0.0
            ax.annotate(text, pos[v], xytext=(pos[v][0] + offset, pos[v][1] + offset),
                        ha="center", va="center", fontsize=8)
    ax.axis("off")
    with atomic_path(path) as tmp:
        mpl_fig.savefig(tmp, format=fmt, bbox_inches="tight")
    plt.close(mpl_fig)
    return path
