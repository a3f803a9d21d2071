"""The distributed system a composite problem compiles to, drawn beside its diagram.

As in Figure 1 of the paper: on the left the problem's wiring diagram; on the right the
agents (one per leaf box) and the shared variables, with the messages one step sends: each
shared variable's value goes to every agent using it (``phi^*``), and each agent sends its
gradient contribution back (``phi_*``), where the contributions are summed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.errors import CatoptError
from catopt.interfaces.draw import box_notes
from catopt.interfaces.figure import Figure

__all__ = ["distributed_dot", "distributed_figure"]


def distributed_dot(problem: Any) -> Any:
    """A graphviz ``Digraph``: the problem's diagram and its distributed system
    (:func:`distributed_figure` rendered)."""
    return distributed_figure(problem).to_graphviz()


def distributed_figure(problem: Any) -> Figure:
    """The problem's diagram and its distributed system, as a neutral figure."""
    g = Figure(name="distributed", engine="dot", directed=True)
    g.attr(fontname="Helvetica", compound="true", rankdir="LR")
    d = problem.diagram
    if d is None:
        raise CatoptError(f"{problem!r} is a leaf, not a composite: it has no diagram to draw")
    notes, _ = box_notes(problem)
    with g.subgraph(name="cluster_problem") as s:
        # the diagram, laid out left to right: boxes, their junctions, and each outer port as
        # a short wire ending in a small open circle at the right (a wire from an invisible
        # point looked like a curve starting in empty space)
        s.attr(label="composite problem", style="dashed")
        s.attr("edge", dir="none")  # the UWD is undirected
        for b, name in enumerate(d.boxes):
            s.node(f"box{b}", label=f"{name}\n{notes[b]}", shape="ellipse")
        for j, name in enumerate(d.junctions):
            # the name inside the junction's dot, as the system's variables are drawn on the
            # right (a label beside a dot sat on the wires in this layout)
            shape = "x".join(map(str, d.junction_shapes[j]))
            s.node(f"j{j}", label=f"{name}\n{shape}" if shape else name, shape="circle",
                   width="0.3", style="filled", fillcolor="black", fontcolor="white",
                   fontsize="9")
        for b, ports in enumerate(d.box_port_indices):
            for j in ports:
                s.edge(f"box{b}", f"j{j}")
        for o, j in enumerate(d.outer_indices):
            s.node(f"outer{o}", label="", shape="circle", width="0.08", fixedsize="true")
            s.edge(f"j{j}", f"outer{o}", minlen="1")
    program = problem.program
    space, index, offs = problem.space, program.gather_index, program.offsets
    owner = np.searchsorted(space.offsets, np.arange(space.n), side="right") - 1
    with g.subgraph(name="cluster_system") as s:
        s.attr(label="distributed gradient descent (one step)", style="dashed")
        for k, name in enumerate(program.leaf_names):
            s.node(f"agent{k}", label=f"agent {name}\ngrad f_{name}", shape="box",
                   style="rounded")
        shared: dict[int, list[int]] = {}
        for k in range(len(program.leaves)):
            for v in set(owner[index[offs[k]:offs[k + 1]]].tolist()):
                shared.setdefault(v, []).append(k)
        for v, agents in shared.items():
            if len(agents) < 2 and v >= len(problem.diagram.junctions):
                continue  # private to one agent: no message
            s.node(f"var{v}", label=space.names[v], shape="circle", width="0.3",
                   style="filled", fillcolor="black", fontcolor="white", fontsize="9")
            for k in agents:
                s.edge(f"var{v}", f"agent{k}", label="value", color="gray40", fontsize="8",
                       dir="forward")
                s.edge(f"agent{k}", f"var{v}", label="+ grad", color="blue", fontsize="8",
                       dir="forward")
    if problem.diagram.junctions and len(program.leaves):
        # an invisible wire puts the system to the right of the problem, as in Figure 1
        outer_of = {j: o for o, j in enumerate(d.outer_indices)}
        for j in range(len(d.junctions)):
            tail = f"outer{outer_of[j]}" if j in outer_of else f"j{j}"  # the rightmost end
            g.edge(tail, "agent0", style="invis", weight="0")
    return g
