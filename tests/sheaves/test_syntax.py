"""The sheaf text syntax: what it builds, its errors (line, column, caret), and fuzzing (only
CatoptError escapes)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import catopt as co
from catopt.sheaves import Sheaf, SheafSyntaxError, sheaf

A = np.array([[1.0, 0, 1, 0]])
B = np.array([[1.0, 0, 0, 1]])
C = np.array([[1.0, 0, 0, 0]])
MAPS = {"A": A, "B": B, "C": C, "P": np.eye(2, 4), "I": np.eye(4), "bad": "x",
        "v": [1.0, 2.0, 3.0, 4.0], "nan": np.full((1, 4), np.nan)}


def test_the_ao_jl_example_equals_the_hand_built_sheaf() -> None:
    text = """
    x::Stalk{4}, y::Stalk{4}, z::Stalk{4}
    A(x) == B(y)      # also accepted: A*x == B*y
    A*x == C(z)
    B(y) == C(z)
    """
    s = sheaf(text, MAPS)
    ref = Sheaf({"x": 4, "y": 4, "z": 4}, [("x", "y", A, B), ("x", "z", A, C),
                                          ("y", "z", B, C)])
    np.testing.assert_array_equal(s.coboundary().toarray(), ref.coboundary().toarray())
    assert s.vertex_names == ("x", "y", "z") and list(s.edge_dims) == [1, 1, 1]


@pytest.mark.parametrize("text, line, col, words", [
    ("x::Stalk{4}\nA(x) == B(q)", 2, 11, "unknown vertex 'q'"),
    ("x::Stalk{4}, y::Stalk{2}\nA(x) == B(y)", 2, 9, "map 'B' is 1x4 but y::Stalk{2}"),
    ("x::Stalk{4}, y::Stalk{4}\nA(x) == I(y)", 2, 9, "A(x) is in R^1 but I(y) is in R^4"),
    ("x::Stalk{4}, y::Stalk{4}\nA(x) == Q(y)", 2, 9, "unknown restriction map 'Q'"),
    ("x::Stalk{4} y", 1, 13, "expected a newline"),
    ("x::Stalk{0}", 1, 10, "between 1 and"),
    ("x::Stalk{4}\nx::Stalk{4}", 2, 1, "declared twice"),
    ("x::Stalk{4}\nA(x) == B(x)", 2, 11, "both sides name 'x'"),
    ("x::Shape{4}", 1, 4, "'Stalk'"),
    ("x::Stalk{4}, y::Stalk{4}\nbad(x) == A(y)", 2, 1, "not a matrix"),
    ("x::Stalk{4}, y::Stalk{4}\nnan(x) == A(y)", 2, 1, "finite"),
    ("x::Stalk{4}, y::Stalk{4}\nA(x) = B(y)", 2, 6, "'=='"),
])
def test_errors_point_at_the_fault(text: str, line: int, col: int, words: str) -> None:
    with pytest.raises(SheafSyntaxError) as info:
        sheaf(text, MAPS)
    e = info.value
    assert (e.line, e.column) == (line, col), str(e)
    assert words in str(e)
    src, caret = str(e).split("\n")[1:3]
    assert caret.index("^") == src.index(src.strip()[0]) + col - 1  # caret under the fault


def test_a_flat_vector_is_a_row() -> None:
    s = sheaf("x::Stalk{4}, y::Stalk{4}; v(x) == A(y)", MAPS)
    np.testing.assert_array_equal(s.coboundary().toarray()[0, :4], [1, 2, 3, 4])


TOKENS = ["x", "y", "z", "::", "Stalk", "{", "}", "4", "2", "0", "(", ")", "*", "==", "=",
          "A", "B", "P", "I", "v", "bad", "nan", ",", ";", "\n", " ", "#", "é", "\x00",
          "99999999999", "Q"]


@settings(max_examples=400, deadline=2000)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_soup(tokens: list[str]) -> None:
    try:
        s = sheaf("".join(tokens), MAPS)
    except co.CatoptError:
        return
    assert s.coboundary().shape == (s.m, s.n)


@settings(max_examples=200, deadline=2000)
@given(st.binary(max_size=200))
def test_random_bytes(raw: bytes) -> None:
    try:
        sheaf(raw.decode("utf-8", errors="replace"), MAPS)
    except co.CatoptError:
        pass


@settings(max_examples=150, deadline=2000)
@given(st.integers(0, 10_000), st.sampled_from(TOKENS))
def test_mutations_of_a_valid_text(pos: int, token: str) -> None:
    text = "x::Stalk{4}, y::Stalk{4}, z::Stalk{4}\nA(x) == B(y)\nA*x == C(z)\nB(y) == C(z)"
    k = pos % (len(text) + 1)
    try:
        sheaf(text[:k] + token + text[k + 1:], MAPS)
    except co.CatoptError:
        pass


def test_non_text_input() -> None:
    with pytest.raises(SheafSyntaxError):
        sheaf(b"x::Stalk{4}", MAPS)  # type: ignore[arg-type]
    with pytest.raises(SheafSyntaxError, match="maps must be a mapping"):
        sheaf("x::Stalk{4}", [1, 2])  # type: ignore[arg-type]
