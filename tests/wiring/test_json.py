"""Catlab ACSet JSON: round trips, the table layout, strict parsing and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given

import catopt as co
from tests.strategies import random_diagram, seeds


@given(seeds)
def test_round_trip(seed: int) -> None:
    d = random_diagram(np.random.default_rng(seed))
    assert co.UWD.from_json(d.to_json()) == d
    assert co.UWD.from_json(d.to_json().encode()) == d


def test_catlab_tables(diagram: co.UWD) -> None:
    data = json.loads(diagram.to_json())
    # the object tables, then the attribute-type tables (as ACSets.jl writes them)
    assert list(data) == ["Box", "Port", "OuterPort", "Junction", "Name", "VarName"]
    assert data["Box"][1] == {"_id": 2, "name": "g"}
    assert data["Junction"][3] == {"_id": 4, "variable": "w"}
    # g's ports are u, w, y: junction ids 5, 4, 2 (1-based)
    g_ports = [p["junction"] for p in data["Port"] if p["box"] == 2]
    assert g_ports == [5, 4, 2]
    assert [o["outer_junction"] for o in data["OuterPort"]] == [1, 2, 3]


def test_shapes_travel_as_types() -> None:
    d = co.relation("(a,) :- f(a, b)", shapes={"a": (2, 3)})
    data = json.loads(d.to_json())
    assert data["Junction"][0]["junction_type"] == [2, 3]
    assert data["Port"][0]["port_type"] == [2, 3]
    assert data["OuterPort"][0]["outer_port_type"] == [2, 3]


@pytest.mark.parametrize(
    "text, match",
    [
        ("{", "line 1"),
        ("[]", "must be an object"),
        ('{"Box": [], "Box": []}', "duplicate key"),
        ('{"Junction": [{"_id": 1, "variable": NaN}]}', "NaN"),
        ('{"Widget": []}', "unknown table 'Widget'"),
        ('{"Box": {"a": 1}}', "table 'Box' must be a list"),
        ('{"Box": [{"_id": 2, "name": "f"}]}', "has _id 2, expected 1"),
        ('{"Box": [{"name": "f"}], "Port": [{"box": 1, "junction": 3}]}',
         r"Port\[1\].junction = 3"),
        ('{"Port": [{"junction": 1}], "Junction": [{"variable": "x"}]}', "has no 'box'"),
        ('{"OuterPort": [{"outer_junction": true}], "Junction": [{"variable": "x"}]}',
         "outer_junction = True"),
        ('{"Junction": [{"variable": 3}]}', "must be a string"),
        ('{"Junction": [{"variable": "x", "junction_type": [-2]}]}', "Junction"),
        ('{"Box": [{"name": "f"}], "Port": [{"box": 1, "junction": 1, "port_type": [2]}],'
         ' "Junction": [{"variable": "x"}]}', "port_type"),
        (b"\xff", "not UTF-8"),
    ],
)
def test_bad_json(text: str | bytes, match: str) -> None:
    with pytest.raises(co.CatoptError, match=match):
        co.UWD.from_json(text)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(co.CatoptError):
        co.UWD.from_json("[" * 100000 + "]" * 100000)
