"""Catlab-compatible ACSet JSON for UWDs.

The format is that of ACSets.jl's ``generate_json_acset``: one table per object of Catlab's
``RelationDiagram`` schema, ``Box`` (``name``), ``Port`` (``box``, ``junction``),
``OuterPort`` (``outer_junction``) and ``Junction`` (``variable``), with 1-based ``_id`` s, and
one table per *attribute type*: ``Name`` and ``VarName``, plus ``Type`` for a typed diagram,
whose rows (``{"_id": k}``) are attribute variables, referred to as ``{"_var": k}``.

Typed diagrams carry Catlab types (symbols such as ``"Form1"`` written as strings, or
integers) in ``junction_type``, ``port_type`` and ``outer_port_type``. catopt's junctions
carry shapes instead, so a typed file loads with a ``types=`` mapping from each type to a
shape; without it the file is refused with the types found and the mapping to pass. catopt's
own files (and the older ones it wrote, without attribute-type tables) write each shape as a
list of ints, which loads as that shape, with no mapping.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from catopt.errors import DiagramError
from catopt.limits import check_limit
from catopt.wiring.uwd import UWD, normalize_shape

__all__ = ["to_acset", "to_json", "from_acset", "from_json"]

#: the object tables of the RelationDiagram schema
OBJECT_TABLES = ("Box", "Port", "OuterPort", "Junction")
#: the type attribute of each table that has one
TYPE_ATTRS = {"Junction": "junction_type", "Port": "port_type", "OuterPort": "outer_port_type"}


def to_acset(d: UWD) -> dict[str, list[dict[str, Any]]]:
    """The ACSet tables of ``d`` as plain dicts and lists, as ``generate_json_acset`` lays
    them out: the four object tables, then the (empty) attribute-type tables ``Name`` and
    ``VarName``, and ``Type`` when some junction has a shape (written as a list of ints)."""
    typed = any(s != () for s in d.junction_shapes)
    shapes = d.junction_shapes
    boxes = [{"_id": i + 1, "name": b} for i, b in enumerate(d.boxes)]
    ports = []
    for b, ps in enumerate(d.box_port_indices):
        for j in ps:
            row: dict[str, Any] = {"_id": len(ports) + 1, "box": b + 1, "junction": j + 1}
            if typed:
                row["port_type"] = list(shapes[j])
            ports.append(row)
    outer = []
    for k, j in enumerate(d.outer_indices):
        row = {"_id": k + 1, "outer_junction": j + 1}
        if typed:
            row["outer_port_type"] = list(shapes[j])
        outer.append(row)
    junctions = []
    for j, name in enumerate(d.junctions):
        row = {"_id": j + 1, "variable": name}
        if typed:
            row["junction_type"] = list(shapes[j])
        junctions.append(row)
    out: dict[str, list[dict[str, Any]]] = {"Box": boxes, "Port": ports, "OuterPort": outer,
                                            "Junction": junctions}
    if typed:
        out["Type"] = []
    out["Name"] = []
    out["VarName"] = []
    return out


def to_json(d: UWD, indent: int | None = 2) -> str:
    """``d`` as Catlab ACSet JSON text (UTF-8 names are written as they are)."""
    return json.dumps(to_acset(d), indent=indent, ensure_ascii=False)


def _reject_constant(name: str) -> Any:
    raise DiagramError(f"invalid JSON number {name} in diagram JSON")


def _table(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows = data.get(name, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DiagramError(f"diagram JSON: table {name!r} must be a list of objects")
    for k, r in enumerate(rows):
        if "_id" in r and r["_id"] != k + 1:
            raise DiagramError(
                f"diagram JSON: row {k} of table {name!r} has _id {r['_id']!r}, expected {k + 1}"
            )
    return rows


#: the attribute types of Catlab's relation-diagram schemas
ATTR_TYPE_TABLES = ("Name", "VarName", "Type")


def _is_attr_type_table(name: str, rows: Any) -> bool:
    """An attribute-type table of ``generate_json_acset``: rows ``{"_id": k}`` only."""
    return name in ATTR_TYPE_TABLES and isinstance(rows, list) and all(
        isinstance(r, dict) and set(r) <= {"_id"} for r in rows)


def _ref(row: dict[str, Any], key: str, table: str, k: int, n: int, target: str) -> int:
    if key not in row:
        raise DiagramError(f"diagram JSON: row {k + 1} of table {table!r} has no {key!r}")
    v = row[key]
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= n:
        raise DiagramError(
            f"diagram JSON: {table}[{k + 1}].{key} = {v!r} is not an id of table {target!r} "
            f"(1 to {n})"
        )
    return v - 1


def _name(row: dict[str, Any], key: str, table: str, k: int, default: str) -> str:
    v = row.get(key, default)
    if isinstance(v, dict) and "_var" in v:
        raise DiagramError(f"diagram JSON: {table}[{k + 1}].{key} is the attribute variable "
                           f"{json.dumps(v)} (an unknown value), not a name")
    if not isinstance(v, str) or not v:
        raise DiagramError(f"diagram JSON: {table}[{k + 1}].{key} must be a string")
    return v


class TypeReader:
    """Reads type attributes: a list of ints is a shape (catopt's files); a string or an int
    is a Catlab type, looked up in ``types``; missing lookups are collected and reported
    together, with the mapping that would load the file."""

    def __init__(self, types: Mapping[Any, Any] | None) -> None:
        if types is not None and not isinstance(types, Mapping):
            raise DiagramError(f"types must be a mapping from Catlab type names (strings or "
                               f"integers) to shapes, got {type(types).__name__}")
        self.types = {} if types is None else {self._key(k): v for k, v in types.items()}
        self.given = types is not None
        self.missing: list[Any] = []

    @staticmethod
    def _key(t: Any) -> Any:
        return t if isinstance(t, str) else ("int", t)

    def read(self, value: Any, where: str) -> tuple[Any, Any]:
        """(the type as written, its shape; None when unknown yet)."""
        if isinstance(value, list):  # catopt's own files: the shape itself
            return tuple(value), normalize_shape(value, where)
        if isinstance(value, dict) and "_var" in value:
            raise DiagramError(f"diagram JSON: {where} is the attribute variable "
                               f"{json.dumps(value)} (an unknown type); give it a type")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise DiagramError(f"diagram JSON: {where} must be a Catlab type (a string or an "
                               f"integer) or a shape (a list of ints), got {value!r}")
        key = self._key(value)
        if key not in self.types:
            if value not in self.missing:
                self.missing.append(value)
            return value, None
        return value, normalize_shape(self.types[key], f"types[{value!r}]")

    def check(self) -> None:
        if not self.missing:
            return
        found = ", ".join(repr(t) for t in self.missing)
        example = "{" + ", ".join(f"{t!r}: ()" for t in self.missing) + "}"
        if self.given:
            raise DiagramError(f"diagram JSON: types= has no shape for the Catlab type(s) "
                               f"{found}; add them, e.g. types={example} (() is a scalar, "
                               f"(3,) a vector, (2, 3) a matrix)")
        raise DiagramError(
            f"diagram JSON is a typed Catlab diagram (types {found}); catopt's junctions have "
            f"shapes, so pass types= mapping each type to one, e.g. "
            f"UWD.from_json(text, types={example}) (() is a scalar, (3,) a vector)")


def from_acset(data: Any, *, types: Mapping[Any, Any] | None = None) -> UWD:
    """A :class:`UWD` from ACSet tables (as produced by :func:`to_acset` or Catlab.jl).

    Parameters
    ----------
    data
        The tables: ``Box``, ``Port``, ``OuterPort``, ``Junction`` and any attribute-type
        tables (``Name``, ``VarName``, ``Type``: rows ``{"_id": k}``).
    types
        For a typed Catlab diagram, the shape of each Catlab type, by name (``"Form1"``) or
        integer, e.g. ``{"R": (), "Form1": (3,)}``.
    """
    if not isinstance(data, dict):
        raise DiagramError("diagram JSON must be an object with tables Box, Port, Junction")
    for key in data:
        if key not in OBJECT_TABLES and not _is_attr_type_table(key, data[key]):
            raise DiagramError(
                f"diagram JSON: unknown table {key!r}; expected Box, Port, OuterPort, Junction "
                f"and attribute-type tables (Name, VarName, Type) whose rows are {{\"_id\": k}}"
            )
    boxes = _table(data, "Box")
    ports = _table(data, "Port")
    outer = _table(data, "OuterPort")
    junctions = _table(data, "Junction")
    for key in data:
        if key not in OBJECT_TABLES:
            _table(data, key)  # ids in order
    reader = TypeReader(types)
    nj = len(junctions)
    names: list[str] = []
    jtypes: list[tuple[Any, Any]] = []
    for k, r in enumerate(junctions):
        names.append(_name(r, "variable", "Junction", k, f"j{k + 1}"))
        jtypes.append(reader.read(r["junction_type"], f"Junction[{k + 1}].junction_type")
                      if "junction_type" in r else ((), ()))
    box_names = [_name(r, "name", "Box", k, f"box{k + 1}") for k, r in enumerate(boxes)]
    box_ports: list[list[str]] = [[] for _ in boxes]
    for k, r in enumerate(ports):
        b = _ref(r, "box", "Port", k, len(boxes), "Box")
        j = _ref(r, "junction", "Port", k, nj, "Junction")
        if "port_type" in r:
            pt, _ = reader.read(r["port_type"], f"Port[{k + 1}].port_type")
            if pt != jtypes[j][0]:
                raise DiagramError(
                    f"diagram JSON: Port[{k + 1}] has port_type {_show(pt)} but its junction "
                    f"{names[j]!r} has type {_show(jtypes[j][0])}")
        box_ports[b].append(names[j])
    outer_names = []
    for k, r in enumerate(outer):
        j = _ref(r, "outer_junction", "OuterPort", k, nj, "Junction")
        if "outer_port_type" in r:
            ot, _ = reader.read(r["outer_port_type"], f"OuterPort[{k + 1}].outer_port_type")
            if ot != jtypes[j][0]:
                raise DiagramError(
                    f"diagram JSON: OuterPort[{k + 1}] has outer_port_type {_show(ot)} but its "
                    f"junction {names[j]!r} has type {_show(jtypes[j][0])}")
        outer_names.append(names[j])
    reader.check()
    shapes = {n: s for n, (_, s) in zip(names, jtypes, strict=True) if s}
    return UWD(list(zip(box_names, box_ports, strict=True)), outer_names, junctions=names,
               shapes=shapes)


def _show(t: Any) -> str:
    return repr(list(t)) if isinstance(t, tuple) else repr(t)


def from_json(text: str | bytes, *, types: Mapping[Any, Any] | None = None) -> UWD:
    """A :class:`UWD` from JSON text: ACSet JSON (current Catlab/ACSets.jl files, with
    attribute-type tables, and catopt's own, older ones included), or a SyntacticModels
    ``UWDExpr`` (``{"_type": "UWDExpr", "context": [...], "statements": [...]}``, or a
    ``UWDModel`` holding one). ``types`` maps Catlab types to shapes (see `from_acset`).
    Parsing is strict: no NaN, no duplicate keys."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DiagramError(f"diagram JSON is not UTF-8: {e}") from None
    if not isinstance(text, str):
        raise DiagramError(f"diagram JSON must be text, got {type(text).__name__}")
    check_limit("max_text", len(text), "the diagram JSON")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise DiagramError(f"diagram JSON: duplicate key in object with keys {keys}")
        return dict(items)

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise DiagramError(f"diagram JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise DiagramError("diagram JSON is nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise DiagramError(f"diagram JSON: {e}") from None
    if isinstance(data, dict) and "_type" in data:
        from catopt.wiring.uwd_expr import from_uwd_expr

        return from_uwd_expr(data, types=types)
    return from_acset(data, types=types)
