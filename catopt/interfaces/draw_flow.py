"""Drawing a (composite) flow network with graphviz: one cluster per subnetwork (leaf), the
nodes that subnetworks share drawn between the clusters, and, given flows, each edge labelled
with its flow and drawn with a width that grows with it."""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.errors import CatoptError
from catopt.interfaces.figure import Figure
from catopt.problems.flows import OpenFlowNetwork

__all__ = ["flow_dot"]


def flow_dot(net: OpenFlowNetwork, flows: Any = None, *, digits: int = 2) -> Any:
    """The graphviz ``Digraph`` of ``net``; ``flows`` (one per edge, leaves in order, as
    ``recover_flows`` returns them) labels the edges. Ports are drawn as double circles,
    supplies as ``+b`` / ``-b`` under the node's label."""
    if not isinstance(net, OpenFlowNetwork):
        raise CatoptError(f"flow_dot draws an OpenFlowNetwork, got {type(net).__name__}")
    src, tgt = net.edges()
    if flows is not None:
        flows = np.asarray(flows, dtype=float)
        if flows.shape != (len(src),):
            raise CatoptError(f"flows has shape {flows.shape}; the network has {len(src)} edges")
    idx = net.gather_index
    offs = net.program.offsets
    owners: list[set[int]] = [set() for _ in range(net.n)]
    for k, leaf in enumerate(net.leaves):
        for v in idx[offs[k]:offs[k] + leaf.size]:
            owners[int(v)].add(k)
    b = net.supply()
    ports = set(net.parts.ports)
    g = Figure(name="flow", engine="dot", directed=True,
               graph_attrs={"rankdir": "LR", "fontsize": "10"},
               node_attrs={"shape": "circle", "fontsize": "9", "width": "0.3"},
               edge_attrs={"fontsize": "8", "arrowsize": "0.5"})

    def node(graph: Any, v: int) -> None:
        label = net.labels[v]
        if abs(b[v]) > 1e-12:
            label += f"\n{b[v]:+.{digits}f}"
        graph.node(f"n{v}", label, shape="doublecircle" if v in ports else "circle",
                   style="filled", fillcolor="gold" if len(owners[v]) > 1 else "white")

    for k, name in enumerate(net.leaf_names):
        with g.subgraph(name=f"cluster_{k}") as c:
            c.attr(label=name, style="rounded", color="gray50")
            for v in range(net.n):
                if owners[v] == {k}:
                    node(c, v)
    for v in range(net.n):
        if len(owners[v]) != 1:
            node(g, v)
    scale = float(np.max(np.abs(flows))) if flows is not None and len(flows) else 1.0
    for e, (s, t) in enumerate(zip(src.tolist(), tgt.tolist(), strict=True)):
        attrs: dict[str, str] = {}
        if flows is not None:
            f = float(flows[e])
            attrs["label"] = f"{f:.{digits}f}"
            attrs["penwidth"] = f"{0.5 + 3.0 * abs(f) / max(scale, 1e-300):.2f}"
        g.edge(f"n{s}", f"n{t}", **attrs)
    return g.to_graphviz()
