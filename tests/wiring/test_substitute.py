"""Operadic substitution of diagrams (structure; the law for problems is in
tests/problems/test_compose.py)."""

from __future__ import annotations

import pytest

import catopt as co


def test_substitute_wires_outer_ports_to_box_ports() -> None:
    d = co.relation("(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)")
    e = co.relation("(a, b) :- p(a, k), q(k, b)")
    s = d.substitute({"f": e})
    assert s.boxes == ("f.p", "f.q", "g", "h")
    assert s.ports("f.p") == ("w", "f.k")
    assert s.ports("f.q") == ("f.k", "x")
    assert s.outer == ("x", "y", "z")
    assert s.junctions == ("x", "y", "z", "w", "u", "f.k")


def test_unqualified_substitution() -> None:
    d = co.relation("(x,) :- f(x, w), g(w)")
    e = co.relation("(a, b) :- p(a, k), q(k, b)")
    s = d.substitute({"f": e}, qualify=False)
    assert s.boxes == ("p", "q", "g")
    assert s.ports("p") == ("x", "k")


def test_inner_junction_on_two_outer_ports_merges_outer_junctions() -> None:
    d = co.relation("(x, y) :- f(x, y), g(y)")
    e = co.relation("(a, a) :- p(a)")
    s = d.substitute({0: e})
    # x and y are glued into one junction, named after the first
    assert s.junctions == ("x",)
    assert s.outer == ("x", "x")
    assert s.ports("f.p") == ("x",) and s.ports("g") == ("x",)


def test_substitution_is_associative_on_structure() -> None:
    d = co.relation("(x,) :- f(x, w), g(w)")
    e = co.relation("(a, b) :- p(a, k), q(k, b)")
    k = co.relation("(s, t) :- r(s, t)")
    one = d.substitute({"f": e}).substitute({"f.q": k})
    two = d.substitute({"f": e.substitute({"q": k})})
    assert one == two


@pytest.mark.parametrize(
    "filler, err, match",
    [
        (co.relation("(a,) :- p(a)"), co.DiagramError, "has 2 ports but the diagram has 1"),
        (co.relation("(a, b) :- p(a, b)", shapes={"a": 2}), co.ShapeError,
         "port 0 is on junction 'x' of shape \\(\\)"),
    ],
)
def test_substitution_errors(filler: co.UWD, err: type, match: str) -> None:
    d = co.relation("(x,) :- f(x, w), g(w)")
    with pytest.raises(err, match=match):
        d.substitute({"f": filler})


def test_substitution_unknown_box_and_bad_filler() -> None:
    d = co.relation("(x,) :- f(x, w), g(w)")
    with pytest.raises(co.DiagramError, match="unknown box 'zz'"):
        d.substitute({"zz": d})
    with pytest.raises(co.DiagramError, match="must be a UWD"):
        d.substitute({"f": "(a) :- p(a)"})  # type: ignore[dict-item]
