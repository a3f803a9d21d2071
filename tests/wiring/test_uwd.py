"""UWD structure, validation, builder, networkx export."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given

import catopt as co
from tests.strategies import random_diagram, seeds


def test_design_example(diagram: co.UWD) -> None:
    d = diagram
    assert d.boxes == ("f", "g", "h")
    assert d.junctions == ("x", "y", "z", "w", "u")
    assert d.outer == ("x", "y", "z")
    assert d.ports("g") == ("u", "w", "y")
    assert d.ports(0) == ("w", "x")
    assert d.shapes == {j: () for j in d.junctions}
    assert d.boxes_of("w") == (0, 1, 2)


def test_shapes_and_sizes() -> None:
    d = co.relation("(W0,) :- t1(W0, W1), t2(W0, W2)", shapes={"W0": (3, 2), "W1": 4})
    assert d.shape("W0") == (3, 2)
    assert d.shape("W1") == (4,)
    assert d.shape("W2") == ()
    assert d.junction_size("W0") == 6
    assert d.port_shapes("t1") == ((3, 2), (4,))


def test_immutable_and_hashable(diagram: co.UWD) -> None:
    with pytest.raises(AttributeError):
        diagram._boxes = ()  # type: ignore[misc]
    same = co.relation("(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)")
    assert same == diagram and hash(same) == hash(diagram)
    assert co.relation("(x, y) :- f(w, x), g(u, w, y), h(u, w, z)") != diagram


def test_repeated_box_names_are_qualified() -> None:
    d = co.relation("() :- f(a), f(b), g(a)")
    assert d.qualified_boxes() == ("f#0", "f#1", "g")
    with pytest.raises(co.DiagramError, match="used by boxes"):
        d.ports("f")
    assert d.ports(1) == ("b",)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"boxes": [("f", ["x"])], "outer": ["nope"], "junctions": ["x"]}, "outer port 0"),
        ({"boxes": [("f", ["x", "q"])], "junctions": ["x"]}, "port 1 of box 'f'.*'q'"),
        ({"boxes": [("f", ["x"])], "junctions": ["x", "x"]}, "repeated"),
        ({"boxes": [("", ["x"])]}, "name of box 0"),
        ({"boxes": [("f", "xy")]}, "string"),
        ({"boxes": [("f",)]}, "box 0 must be a"),
        ({"boxes": [("f", ["x"])], "shapes": {"y": ()}}, "unknown junction 'y'"),
        ({"boxes": [("f", ["x"])], "shapes": {"x": (-1,)}}, "junction 'x'"),
        ({"boxes": [("f", ["x"])], "shapes": {"x": "ab"}}, "junction 'x'"),
    ],
)
def test_validation_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(co.CatoptError, match=match):
        co.UWD(**kwargs)


def test_lookup_errors(diagram: co.UWD) -> None:
    with pytest.raises(co.DiagramError, match="unknown box 'k'"):
        diagram.ports("k")
    with pytest.raises(co.DiagramError, match="out of range"):
        diagram.ports(7)
    with pytest.raises(co.DiagramError, match="unknown junction 'q'"):
        diagram.shape("q")


def test_builder_in_a_loop() -> None:
    b = co.UWDBuilder()
    b.junction("W0", shape=(4, 2))
    for i in range(1000):
        b.box(f"task{i}", ["W0", b.junction(f"W{i + 1}", shape=(2,))])
    b.outer("W0")
    d = b.build()
    assert d.n_boxes == 1000
    assert d.junctions[0] == "W0" and d.shape("W0") == (4, 2)
    assert d.ports("task999") == ("W0", "W1000")
    assert d.outer == ("W0",)
    assert len(d.boxes_of("W0")) == 1000


def test_builder_conflicting_shapes() -> None:
    b = co.UWDBuilder()
    b.junction("a", (2,))
    with pytest.raises(co.DiagramError, match="'a'"):
        b.junction("a", (3,))


def test_to_networkx_structure(diagram: co.UWD) -> None:
    g = diagram.to_networkx()
    assert isinstance(g, nx.MultiGraph)
    boxes = [n for n, k in g.nodes(data="kind") if k == "box"]
    junctions = [n for n, k in g.nodes(data="kind") if k == "junction"]
    assert len(boxes) == 3 and len(junctions) == 5
    assert g.number_of_edges() == diagram.n_ports
    assert nx.is_bipartite(g)
    assert g.nodes[("junction", "x")]["outer"] == (0,)
    assert g.nodes[("junction", "w")]["outer"] == ()


@given(seeds)
def test_networkx_degrees_are_port_counts(seed: int) -> None:
    d = random_diagram(np.random.default_rng(seed))
    g = d.to_networkx()
    for b in range(d.n_boxes):
        assert g.degree(("box", b)) == len(d.box_port_indices[b])
    for j in d.junctions:
        ports_on_j = sum(ps.count(d.junction_index(j)) for ps in d.box_port_indices)
        assert g.degree(("junction", j)) == ports_on_j
