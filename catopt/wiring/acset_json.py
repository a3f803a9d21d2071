"""Catlab-compatible ACSet JSON for UWDs.

The tables are those of Catlab's ``RelationDiagram`` schema: ``Box`` (``name``), ``Port``
(``box``, ``junction``), ``OuterPort`` (``outer_junction``) and ``Junction`` (``variable``),
with 1-based ``_id`` s, as ``generate_json_acset`` writes them. Shapes travel as the typed
schema's ``junction_type``, ``port_type`` and ``outer_port_type`` attributes (lists of ints),
written only when some junction is not a scalar.
"""

from __future__ import annotations

import json
from typing import Any

from catopt.errors import DiagramError
from catopt.limits import check_limit
from catopt.wiring.uwd import UWD, normalize_shape

__all__ = ["to_acset", "to_json", "from_acset", "from_json"]


def to_acset(d: UWD) -> dict[str, list[dict[str, Any]]]:
    """The ACSet tables of ``d`` as plain dicts and lists."""
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
    return {"Box": boxes, "Port": ports, "OuterPort": outer, "Junction": junctions}


def to_json(d: UWD, indent: int | None = 2) -> str:
    """``d`` as Catlab ACSet JSON text."""
    return json.dumps(to_acset(d), indent=indent)


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


def from_acset(data: Any) -> UWD:
    """A :class:`UWD` from ACSet tables (as produced by :func:`to_acset` or Catlab.jl)."""
    if not isinstance(data, dict):
        raise DiagramError("diagram JSON must be an object with tables Box, Port, Junction")
    for key in data:
        if key not in ("Box", "Port", "OuterPort", "Junction"):
            raise DiagramError(
                f"diagram JSON: unknown table {key!r}; expected Box, Port, OuterPort, Junction"
            )
    boxes = _table(data, "Box")
    ports = _table(data, "Port")
    outer = _table(data, "OuterPort")
    junctions = _table(data, "Junction")
    nj = len(junctions)
    names: list[str] = []
    shapes: dict[str, Any] = {}
    for k, r in enumerate(junctions):
        name = r.get("variable", f"j{k + 1}")
        if not isinstance(name, str):
            raise DiagramError(f"diagram JSON: Junction[{k + 1}].variable must be a string")
        names.append(name)
        if "junction_type" in r:
            shapes[name] = normalize_shape(r["junction_type"], f"Junction[{k + 1}]")
    box_names: list[str] = []
    for k, r in enumerate(boxes):
        name = r.get("name", f"box{k + 1}")
        if not isinstance(name, str):
            raise DiagramError(f"diagram JSON: Box[{k + 1}].name must be a string")
        box_names.append(name)
    box_ports: list[list[str]] = [[] for _ in boxes]
    for k, r in enumerate(ports):
        b = _ref(r, "box", "Port", k, len(boxes), "Box")
        j = _ref(r, "junction", "Port", k, nj, "Junction")
        if "port_type" in r:
            pt = normalize_shape(r["port_type"], f"Port[{k + 1}]")
            if pt != shapes.get(names[j], ()):
                raise DiagramError(
                    f"diagram JSON: Port[{k + 1}] has port_type {list(pt)} but its junction "
                    f"{names[j]!r} has type {list(shapes.get(names[j], ()))}"
                )
        box_ports[b].append(names[j])
    outer_names = [
        names[_ref(r, "outer_junction", "OuterPort", k, nj, "Junction")]
        for k, r in enumerate(outer)
    ]
    return UWD(
        list(zip(box_names, box_ports, strict=True)),
        outer_names,
        junctions=names,
        shapes=shapes,
    )


def from_json(text: str | bytes) -> UWD:
    """A :class:`UWD` from ACSet JSON text. Parsing is strict: no NaN, no duplicate keys."""
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
    return from_acset(data)
