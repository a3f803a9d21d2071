"""SyntacticModels.jl's ``UWDExpr`` (as its JSON writes it) as a :class:`UWD`.

``{"_type": "UWDExpr", "context": [VAR, ...], "statements": [{"_type": "Statement",
"relation": "R", "variables": [VAR, ...]}, ...]}`` with each ``VAR`` either
``{"_type": "Untyped", "var": "x"}`` or ``{"_type": "Typed", "var": "x", "type": "Form1"}``:
the context variables are the outer ports, each statement a box, each variable a junction
(context variables first, then the others in order of first use), as SyntacticModels builds
a ``RelationDiagram`` from it. Untyped variables are scalars; typed ones take their shape from
``types``. A ``UWDModel`` (``{"_type": "UWDModel", "header": ..., "uwd": UWDEXPR}``) loads its
``uwd``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from catopt.errors import DiagramError
from catopt.wiring.acset_json import TypeReader
from catopt.wiring.uwd import UWD

__all__ = ["from_uwd_expr"]


def _field(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise DiagramError(f"UWDExpr JSON: {where} must be an object with {key!r}, got "
                           f"{json.dumps(obj)[:80]}")
    return obj[key]


def _var(v: Any, where: str) -> tuple[str, Any]:
    """(name, Catlab type or None for Untyped)."""
    kind = _field(v, "_type", where)
    name = _field(v, "var", where)
    if not isinstance(name, str) or not name:
        raise DiagramError(f"UWDExpr JSON: {where}.var must be a non-empty string")
    if kind == "Untyped":
        return name, None
    if kind == "Typed":
        t = _field(v, "type", where)
        if isinstance(t, bool) or not isinstance(t, (str, int)):
            raise DiagramError(f"UWDExpr JSON: {where}.type must be a string or an integer")
        return name, t
    raise DiagramError(f"UWDExpr JSON: {where}._type must be 'Typed' or 'Untyped', got {kind!r}")


def from_uwd_expr(data: Any, *, types: Mapping[Any, Any] | None = None) -> UWD:
    """A :class:`UWD` from a parsed SyntacticModels ``UWDExpr`` (or ``UWDModel``)."""
    kind = _field(data, "_type", "the top level")
    if kind == "UWDModel":
        data = _field(data, "uwd", "a UWDModel")
        kind = _field(data, "_type", "UWDModel.uwd")
    if kind != "UWDExpr":
        raise DiagramError(f"UWDExpr JSON: expected _type 'UWDExpr' or 'UWDModel', got {kind!r}")
    context = _field(data, "context", "a UWDExpr")
    statements = _field(data, "statements", "a UWDExpr")
    if not isinstance(context, list) or not isinstance(statements, list):
        raise DiagramError("UWDExpr JSON: context and statements must be lists")
    vtype: dict[str, Any] = {}
    order: list[str] = []

    def see(v: Any, where: str) -> str:
        name, t = _var(v, where)
        if name in vtype and vtype[name] != t:
            raise DiagramError(f"UWDExpr JSON: variable {name!r} has type {vtype[name]!r} and, "
                               f"at {where}, {t!r}")
        if name not in vtype:
            vtype[name] = t
            order.append(name)
        return name

    outer = [see(v, f"context[{k}]") for k, v in enumerate(context)]
    boxes = []
    for k, s in enumerate(statements):
        where = f"statements[{k}]"
        if _field(s, "_type", where) != "Statement":
            raise DiagramError(f"UWDExpr JSON: {where}._type must be 'Statement'")
        rel = _field(s, "relation", where)
        if not isinstance(rel, str) or not rel:
            raise DiagramError(f"UWDExpr JSON: {where}.relation must be a non-empty string")
        args = _field(s, "variables", where)
        if not isinstance(args, list):
            raise DiagramError(f"UWDExpr JSON: {where}.variables must be a list")
        boxes.append((rel, [see(v, f"{where}.variables[{i}]") for i, v in enumerate(args)]))
    typed = {n: t for n, t in vtype.items() if t is not None}
    shapes: dict[str, Any] = {}
    if typed:
        reader = TypeReader(types)
        for n, t in typed.items():
            shape = reader.read(t, f"variable {n!r}")[1]
            if shape is not None:
                shapes[n] = shape
        reader.check()
    return UWD(boxes, outer, junctions=order, shapes=shapes)
