"""Diagrams in the JSON that Catlab/ACSets.jl and SyntacticModels.jl write today.

The files in tests/wiring/data were written by hand from ACSets.jl's ``generate_json_acset``
(one table per object, 1-based ``_id`` s, then one table of ``{"_id": k}`` rows per attribute
type: ``Name`` and ``VarName``, and ``Type`` for typed diagrams) and SyntacticModels.jl's
``UWDExpr`` (``_type`` tags). ``catopt_v0.json`` is the layout catopt wrote before (no
attribute-type tables, shapes as lists)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import catopt as co

DATA = Path(__file__).parent / "data"


def text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_current_untyped_file_with_name_tables_and_unicode() -> None:
    d = co.UWD.from_json(text("catlab_untyped.json"))
    expected = co.UWD([("f", ["w", "température"]), ("g", ["u", "w", "y"]), ("Δ", ["u", "w"])],
                      ["température", "y"], junctions=["température", "y", "w", "u"])
    assert d == expected
    assert co.UWD.from_json((DATA / "catlab_untyped.json").read_bytes()) == expected


def test_current_untyped_file_draws_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "d.svg"
    proc = subprocess.run([sys.executable, "-m", "catopt", "draw",
                           str(DATA / "catlab_untyped.json"), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    svg = out.read_text(encoding="utf-8")
    assert "température" in svg and "Δ" in svg


def test_a_typed_file_without_types_names_them_and_the_mapping() -> None:
    with pytest.raises(co.DiagramError) as info:
        co.UWD.from_json(text("catlab_typed.json"))
    msg = str(info.value)
    assert "typed Catlab diagram" in msg
    assert "types 'Form0', 'Form1', 'DualForm1'" in msg
    assert "types={'Form0': (), 'Form1': (), 'DualForm1': ()}" in msg


def test_a_typed_file_loads_with_types() -> None:
    d = co.UWD.from_json(text("catlab_typed.json"),
                         types={"Form0": (), "Form1": (4,), "DualForm1": [2, 3], "Unused": 7})
    assert d.boxes == ("d", "⋆")
    assert d.junctions == ("C", "dC", "ϕ") and d.outer == ("C", "ϕ")
    assert [d.shape(j) for j in d.junctions] == [(), (4,), (2, 3)]
    assert d.ports(1) == ("dC", "ϕ")


def test_a_partial_mapping_names_what_is_missing() -> None:
    with pytest.raises(co.DiagramError, match=r"no shape for the Catlab type\(s\) 'DualForm1'"):
        co.UWD.from_json(text("catlab_typed.json"), types={"Form0": (), "Form1": 3})


def test_integer_types_are_types_not_shapes() -> None:
    """An integer junction_type is a Catlab type (it used to be read silently as a shape)."""
    with pytest.raises(co.DiagramError, match=r"types 2, 3"):
        co.UWD.from_json(text("catlab_typed_int.json"))
    d = co.UWD.from_json(text("catlab_typed_int.json"), types={2: (5,), 3: ()})
    assert d.shape("x") == (5,) and d.shape("y") == () and d.outer == ("x",)


def test_syntactic_models_uwd_expr() -> None:
    """The relation (x:X, z:Z) where y:Y { R(x,y); S(y,z); T(z,y,u) } of SyntacticModels'
    docs: context first, then the other variables by first use; u is untyped (a scalar)."""
    with pytest.raises(co.DiagramError, match=r"types 'X', 'Z', 'Y'"):
        co.UWD.from_json(text("uwd_expr.json"))
    d = co.UWD.from_json(text("uwd_expr.json"), types={"X": 2, "Y": (), "Z": (3, 3)})
    expected = co.UWD([("R", ["x", "y"]), ("S", ["y", "z"]), ("T", ["z", "y", "u"])],
                      ["x", "z"], junctions=["x", "z", "y", "u"],
                      shapes={"x": (2,), "z": (3, 3)})
    assert d == expected
    model = {"_type": "UWDModel", "header": {"name": "m"}, "uwd": json.loads(text("uwd_expr.json"))}
    assert co.UWD.from_json(json.dumps(model), types={"X": 2, "Y": (), "Z": (3, 3)}) == expected


def test_the_older_catopt_layout_keeps_loading() -> None:
    d = co.UWD.from_json(text("catopt_v0.json"))
    assert d == co.relation("(a,) :- f(a, b), g(b)", shapes={"a": (2, 3)})


def test_to_json_writes_the_current_tables() -> None:
    d = co.UWD.from_json(text("catlab_untyped.json"))
    out = d.to_json()
    data = json.loads(out)
    assert list(data) == ["Box", "Port", "OuterPort", "Junction", "Name", "VarName"]
    assert data["Name"] == [] and data["VarName"] == []
    assert "température" in out  # UTF-8 as it is, as Catlab writes it
    assert data == json.loads(text("catlab_untyped.json"))  # the same file, table for table
    typed = co.relation("(a,) :- f(a, b)", shapes={"a": (2, 3)})
    tdata = json.loads(typed.to_json())
    assert list(tdata) == ["Box", "Port", "OuterPort", "Junction", "Type", "Name", "VarName"]
    assert co.UWD.from_json(typed.to_json()) == typed


@pytest.mark.parametrize("doc, match", [
    ('{"Box": [{"_id": 1, "name": {"_var": 1}}], "Name": [{"_id": 1}]}',
     r"Box\[1\].name is the attribute variable"),
    ('{"Junction": [{"_id": 1, "variable": "x", "junction_type": {"_var": 1}}], '
     '"Type": [{"_id": 1}]}', "unknown type"),
    ('{"Junction": [{"_id": 1, "variable": "x", "junction_type": 1.5}]}', "Catlab type"),
    ('{"Box": [], "Name": [{"_id": 1, "x": 2}]}', "unknown table 'Name'"),
    ('{"_type": "UWDExpr", "context": [{"_type": "Weird", "var": "x"}], "statements": []}',
     "'Typed' or 'Untyped'"),
    ('{"_type": "UWDExpr", "context": [], "statements": [{"_type": "Statement", '
     '"relation": "R", "variables": [{"_type": "Typed", "var": "x", "type": "A"}, '
     '{"_type": "Typed", "var": "x", "type": "B"}]}]}', "has type 'A'"),
    ('{"_type": "Other"}', "expected _type 'UWDExpr'"),
])
def test_bad_current_format_files_are_refused_clearly(doc: str, match: str) -> None:
    with pytest.raises(co.CatoptError, match=match):
        co.UWD.from_json(doc, types={"A": (), "B": ()})


def test_types_must_be_a_mapping() -> None:
    with pytest.raises(co.DiagramError, match="types must be a mapping"):
        co.UWD.from_json(text("catlab_typed.json"), types=[("Form0", ())])
