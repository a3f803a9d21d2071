"""The relation parser: the DESIGN example, round trips, and syntax errors with positions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from tests.strategies import random_diagram, seeds


def test_whitespace_and_newlines() -> None:
    d = co.relation("""
        (x, y) :-
            f(x, w),
            g(w, y)
    """)
    assert d.boxes == ("f", "g") and d.junctions == ("x", "y", "w")


def test_trailing_comma() -> None:
    assert co.relation("(x,) :- f(x, y,)").ports("f") == ("x", "y")


def test_empty_outer_and_empty_box() -> None:
    d = co.relation("() :- f(), g(a)")
    assert d.outer == () and d.ports("f") == () and d.junctions == ("a",)


@given(seeds)
def test_to_relation_round_trip(seed: int) -> None:
    d = random_diagram(np.random.default_rng(seed))
    # junctions not touched by any port or outer port are not in the text
    touched = {j for j in d.junctions if d.boxes_of(j) or j in d.outer}
    back = co.relation(d.to_relation(), shapes={j: s for j, s in d.shapes.items() if j in touched})
    assert back.boxes == d.boxes
    assert set(back.junctions) == touched
    for b in range(d.n_boxes):
        assert back.ports(b) == d.ports(b)
    assert back.outer == d.outer


@pytest.mark.parametrize(
    "text, expected, column",
    [
        ("(x, y :- f(x)", "',' or ')' in the outer ports", 7),
        ("x :- f(x)", "'(' to open the outer ports", 1),
        ("(x) f(x)", "':-'", 5),
        ("(x) :- ", "a box name", 8),
        ("(x) :- f(x) g(x)", "',' between boxes", 13),
        ("(x) :- f(x,,)", "a junction name in the ports of box 'f'", 12),
        ("(x) :- f(x", "',' or ')' in the ports of box 'f'", 11),
        ("(1x) :- f(x)", "a junction name in the outer ports", 2),
        ("(x) :- f(x) $", "',' between boxes", 13),
    ],
)
def test_syntax_errors_name_position_and_expectation(text: str, expected: str, column: int) -> None:
    with pytest.raises(co.RelationSyntaxError) as info:
        co.relation(text)
    err = info.value
    assert expected in str(err)
    assert err.column == column and err.line == 1
    assert isinstance(err, co.CatoptError) and isinstance(err, ValueError)


def test_error_on_second_line() -> None:
    with pytest.raises(co.RelationSyntaxError) as info:
        co.relation("(x) :-\n  f(x),\n  g(x y)")
    assert info.value.line == 3 and info.value.column == 7


def test_not_text() -> None:
    with pytest.raises(co.RelationSyntaxError, match="relation text"):
        co.relation(42)  # type: ignore[arg-type]


def test_length_limit() -> None:
    with co.limits(max_text=20), pytest.raises(co.LimitError, match="over the limit of 20"):
        co.relation("(x) :- f(x), g(x), h(x), k(x)")
    assert co.relation("(x) :- f(x), g(x), h(x), k(x)").n_boxes == 4


@given(st.text(max_size=60))
def test_arbitrary_text_only_raises_catopt_errors(text: str) -> None:
    try:
        co.relation(text)
    except co.CatoptError:
        pass


def test_unknown_shape_junction() -> None:
    with pytest.raises(co.DiagramError, match="unknown junction 'q'"):
        co.relation("(x) :- f(x)", shapes={"q": 2})


@pytest.mark.parametrize("text", ["\n", "\x0b", "(x)\x1c:-", "\n\n)"])
def test_error_messages_for_odd_line_breaks(text: str) -> None:
    """Found by fuzzing: the error message itself must not fail on odd line breaks."""
    with pytest.raises(co.RelationSyntaxError):
        co.relation(text)
