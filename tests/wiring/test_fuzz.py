"""Fuzzing the relation parser and the JSON diagram loader with hypothesis: only CatoptError
escapes, and nothing hangs (each example has a deadline)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import catopt as co

TOKENS = ["(", ")", ",", ":-", ":", "-", "f", "g", "x", "y", "_a", "b.c", "1", " ", "\n", "\t",
          "", "#", "é", "\x00", "((", "))"]


@settings(max_examples=300, deadline=2000)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_relation_token_soup(tokens: list[str]) -> None:
    text = "".join(tokens)
    try:
        d = co.relation(text)
    except co.CatoptError:
        return
    # whatever parses must round-trip
    assert co.relation(d.to_relation()).boxes == d.boxes


@settings(max_examples=200, deadline=2000)
@given(st.binary(max_size=200))
def test_relation_random_bytes(raw: bytes) -> None:
    try:
        co.relation(raw.decode("utf-8", errors="replace"))
    except co.CatoptError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10) | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["_id", "name", "box", "junction", "outer_junction", "variable",
                         "junction_type", "port_type", "x"]), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=2000)
@given(st.dictionaries(st.sampled_from(["Box", "Port", "OuterPort", "Junction", "Other"]),
                       json_values, max_size=4))
def test_json_structured_fuzz(data: dict) -> None:
    try:
        d = co.UWD.from_json(json.dumps(data))
    except co.CatoptError:
        return
    assert co.UWD.from_json(d.to_json()) == d


@settings(max_examples=200, deadline=2000)
@given(st.binary(max_size=300))
def test_json_random_bytes(raw: bytes) -> None:
    try:
        co.UWD.from_json(raw)
    except co.CatoptError:
        pass


@settings(max_examples=100, deadline=2000)
@given(st.integers(0, 2**32 - 1), st.integers(0, 400), st.sampled_from(list(range(256))))
def test_json_mutations_of_a_valid_diagram(seed: int, pos: int, byte: int) -> None:
    text = co.relation("(x, y) :- f(x, w), g(w, y)", shapes={"w": (2,)}).to_json(indent=None)
    raw = bytearray(text.encode())
    raw[pos % len(raw)] = byte
    try:
        co.UWD.from_json(bytes(raw))
    except co.CatoptError:
        pass
