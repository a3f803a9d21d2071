"""networkx export of UWDs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catopt.wiring.uwd import UWD

if TYPE_CHECKING:  # networkx is imported when first used: it costs ~90 ms at start-up
    import networkx as nx

__all__ = ["to_networkx"]


def to_networkx(d: UWD) -> nx.MultiGraph:
    """A bipartite multigraph: box nodes ``("box", i)`` (``bipartite=0``), junction nodes
    ``("junction", name)`` (``bipartite=1``), and one edge per port carrying its ``port`` index.

    Node attributes: ``kind``, ``name``; junctions also ``shape`` and ``outer`` (the outer port
    indices on it).
    """
    import networkx as nx

    g = nx.MultiGraph()
    outer_of: dict[int, list[int]] = {}
    for k, j in enumerate(d.outer_indices):
        outer_of.setdefault(j, []).append(k)
    for j, (name, shape) in enumerate(zip(d.junctions, d.junction_shapes, strict=True)):
        g.add_node(
            ("junction", name),
            kind="junction",
            name=name,
            shape=shape,
            outer=tuple(outer_of.get(j, ())),
            bipartite=1,
        )
    for b, (name, ports) in enumerate(zip(d.boxes, d.box_port_indices, strict=True)):
        g.add_node(("box", b), kind="box", name=name, bipartite=0)
        for p, j in enumerate(ports):
            g.add_edge(("box", b), ("junction", d.junctions[j]), port=p)
    return g
