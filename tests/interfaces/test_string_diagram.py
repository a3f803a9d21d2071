"""String diagrams of morphism expressions: the wiring in the DOT source is checked against the
expression (always), and the left-to-right layout in graphviz's own output (when ``dot``
exists)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import numpy as np

from catopt.category import Morphism, copy, identity, merge, swap, tensor_all
from catopt.interfaces.draw import draw
from catopt.interfaces.string_diagram import string_diagram_dot
from tests.helpers.category import morphism
from tests.helpers.graphviz import needs_dot


def wiring(m: Morphism) -> tuple[nx.MultiGraph, dict[str, str]]:
    """The drawn wires as a multigraph, and each node's label (boxes by name, dots as '.')."""
    src = string_diagram_dot(m).source
    g = nx.MultiGraph()
    labels: dict[str, str] = {}
    for line in src.splitlines():
        line = line.strip()
        edge = re.match(r"(\w+) -> (\w+)", line)
        if edge:
            g.add_edge(edge.group(1), edge.group(2))
            continue
        node = re.match(r"(\w+) \[.*label=\"?([^\" \]]*)", line)
        if node and not re.fullmatch(r"(in|out)\d+", node.group(1)):
            labels[node.group(1)] = node.group(2) or "."
    return g, labels


def neighbours(g: nx.MultiGraph, labels: dict[str, str], node: str) -> list[str]:
    return sorted(labels.get(v, v) for v in g.neighbors(node))


def test_multitask_wiring() -> None:
    r = np.random.default_rng(0)
    Fs = [morphism(r, [(2,)], [()], f"F{i}") for i in range(3)]
    g, labels = wiring(copy((2,), 3) >> tensor_all(Fs))
    dot_node = next(iter(g.neighbors("in0")))
    assert labels[dot_node] == "."
    assert neighbours(g, labels, dot_node) == ["F0", "F1", "F2", "in0"]
    for i in range(3):
        box = next(k for k, v in labels.items() if v == f"F{i}")
        assert neighbours(g, labels, f"out{i}") == [f"F{i}"]
        assert g.degree(box) == 2


def test_symmetry_crosses_and_dagger_reverses() -> None:
    r = np.random.default_rng(1)
    F, G = morphism(r, [()], [()], "F"), morphism(r, [()], [()], "G")
    g, labels = wiring((F @ G) >> swap([()], [()]))
    assert neighbours(g, labels, "out0") == ["G"] and neighbours(g, labels, "out1") == ["F"]
    assert neighbours(g, labels, "in0") == ["F"] and neighbours(g, labels, "in1") == ["G"]
    H = morphism(r, [()], [(2,), ()], "H")
    g, labels = wiring(H.T)
    assert [g.degree(f"in{i}") for i in range(2)] == [1, 1] and g.degree("out0") == 1
    assert neighbours(g, labels, "out0") == ["H"]
    # identities are bare wires: the boundary points are joined directly
    g, _ = wiring(identity([(), (3,)]))
    assert g.has_edge("in0", "out0") and g.has_edge("in1", "out1")
    g, labels = wiring(copy(()) >> merge(()))
    assert neighbours(g, labels, "in0") == ["."] and neighbours(g, labels, "out0") == ["."]


def test_wires_are_labelled_by_shape() -> None:
    src = string_diagram_dot(identity([(3, 2)]), title="id").source
    assert 'label="3x2"' in src and 'label=id' in src


@needs_dot
def test_rendered_left_to_right(tmp_path: Path) -> None:
    """In graphviz's layout the domain lies left of every box and the codomain right of it."""
    r = np.random.default_rng(2)
    Fs = [morphism(r, [(2,)], [()], f"F{i}") for i in range(3)]
    m = copy((2,), 3) >> tensor_all(Fs) >> merge((), 3)
    layout = json.loads(string_diagram_dot(m).pipe(format="json"))
    x = {o["name"]: float(o["pos"].split(",")[0]) for o in layout["objects"] if "pos" in o}
    label = {o["name"]: o.get("label", "") for o in layout["objects"]}
    boxes = [x[n] for n in x if label[n].startswith("F")]
    assert len(boxes) == 3
    assert x["in0"] < min(boxes) and max(boxes) < x["out0"]
    path = draw(m, tmp_path / "m.svg") and tmp_path / "m.svg"
    text = path.read_text()
    assert text.startswith("<?xml") and all(f">F{i}<" in text for i in range(3))
