"""Problem spec files (TOML): a composite problem and how to solve it, without Python.

.. code-block:: toml

    relation = "(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)"

    [boxes.f]
    objective = "quadratic"      # x'Px + a'x
    size = 5
    ports = [1, 3]
    P = [[2.1, -0.3, ...], ...]
    a = [-0.26, 0.22, 0.09, 0.19, -0.96]

    [boxes.g]
    objective = "least_squares"  # 1/2 ||Ax - b||^2
    A = "data/A.npy"             # or inline, or a .csv; paths are relative to the spec
    b = [1.0, 2.0]
    ports = [0, 1, 2]

    [solve]
    step = 0.1
    steps = 1000
    tol = 1e-8
    x0 = 0.0                     # a number, a list, or a table by label
    engine = "local"

Optional ``[shapes]`` gives junction shapes. The built-in objectives (quadratic,
least squares, logistic) live on ``size`` scalar coordinates and expose scalar ports only; a
box on a shaped junction is written as ``objective = "python"``, with
``function = "module:attr"`` calls a function returning an :class:`~catopt.OpenProblem`; it
runs code, so it is honoured only with ``allow_import=True`` (``--allow-import``). Data files
must lie inside the spec's folder unless ``allow_outside=True``; ``.npy`` files and
``.npz`` members (``"data.npz:A"``) load with ``allow_pickle=False`` and within
``co.limits`` (``max_text`` bytes). Every error names the file, the table and the key.
"""

from __future__ import annotations

import importlib
import math
import re
import tomllib
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from catopt.engines.options import ENGINES
from catopt.errors import CatoptError, SpecError
from catopt.interfaces.spec_objectives import FAMILIES
from catopt.limits import check_limit, get_limits
from catopt.problems.compose import compose
from catopt.problems.open_problem import OpenProblem
from catopt.wiring.relation import relation
from catopt.wiring.uwd import UWD

__all__ = ["Spec", "load_spec", "loads_spec", "SOLVE_KEYS"]

#: engine options a spec may set in [solve] (those of catopt.engines.options.ENGINES that are
#: plain numbers or names), with how each is read
ENGINE_KEYS = {"sync_every": "int", "chunk": "int", "reduction": "name", "partition": "name",
               "timeout": "number"}
SOLVE_KEYS = {"step", "steps", "tol", "x0", "engine", "workers", "checkpoint",
              "checkpoint_every"} | {k for k in ENGINE_KEYS
                                     if any(k in e.options for e in ENGINES.values())}
TOP_KEYS = {"relation", "shapes", "boxes", "solve", "title", "kind"}


@dataclass
class Spec:
    """A loaded spec: the diagram, the boxes' problems, the composite and solve options."""

    path: str
    diagram: UWD
    problems: dict[str, OpenProblem]
    composite: OpenProblem
    solve: dict[str, Any] = field(default_factory=dict)
    title: str | None = None


class _Ctx:
    def __init__(self, name: str, base: Path, allow_import: bool, allow_outside: bool) -> None:
        self.name = name
        self.base = base
        self.allow_import = allow_import
        self.allow_outside = allow_outside

    def err(self, table: str, key: str | None, message: str) -> SpecError:
        where = f"[{table}]" if table else "top level"
        if key is not None:
            where += f" key {key!r}"
        return SpecError(f"{self.name}: {where}: {message}")


def _int(ctx: _Ctx, table: str, key: str, v: Any, minimum: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ctx.err(table, key, f"expected an integer >= {minimum}, got {v!r}")
    return v


def _number(ctx: _Ctx, table: str, key: str, v: Any, positive: bool = False,
            nonnegative: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ctx.err(table, key, f"expected a number, got {_short(v)}")
    try:
        x = float(v)
    except OverflowError:  # TOML integers are unbounded
        raise ctx.err(table, key, f"expected a finite number, got an integer of {len(str(v))} "
                                  "digits") from None
    if not np.isfinite(x) or (positive and x <= 0) or (nonnegative and x < 0):
        sign = "positive " if positive else "non-negative " if nonnegative else ""
        raise ctx.err(table, key, f"expected a {sign}finite number, got {v!r}")
    return x


def _short(v: Any, limit: int = 80) -> str:
    """``repr(v)``, cut to ``limit`` characters for messages."""
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain_numbers(v: Any) -> bool:
    """Whether ``v`` is a number or nested lists of numbers that fit a float (no booleans,
    strings, tables or dates); iterative, so deep nesting cannot overflow the stack."""
    stack = [v]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool) or not isinstance(item, (int, float)):
            return False
        elif isinstance(item, int) and abs(item) > 2**1023:
            return False
    return True


def _read_npy(fh: Any, size: int) -> np.ndarray:
    """One array in .npy format from an open binary file of ``size`` bytes, never unpickling;
    the header's shape is checked against the bytes present (and ``max_variables``) before
    anything is allocated, so a lying header cannot exhaust memory."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _, dtype = read_header(fh)
    for n in shape:  # (0, 2**70) holds nothing but no array of that shape can be made
        check_limit("max_variables", n, "a dimension of the .npy array")
    count = math.prod(shape)
    check_limit("max_variables", count, "the .npy array")
    if dtype.hasobject:
        raise ValueError("it holds Python objects (pickles), which are never loaded")
    if count * dtype.itemsize > size - fh.tell():
        raise ValueError(f"its header claims shape {shape} of {dtype}, but the file holds only "
                         f"{size - fh.tell()} bytes of data")
    fh.seek(0)
    return fmt.read_array(fh, allow_pickle=False)


def _load_file(ctx: _Ctx, table: str, key: str, rel: str) -> np.ndarray:
    """A data file: ``A.npy``, ``A.csv`` (comma-separated) or ``data.npz:A`` (member ``A``)."""
    member = None
    if "\x00" in rel:
        raise ctx.err(table, key, f"data path {rel!r} holds a NUL character")
    if ".npz:" in rel:
        rel, _, member = rel.rpartition(":")
    path = (ctx.base / rel).resolve()
    if not ctx.allow_outside and not path.is_relative_to(ctx.base.resolve()):
        raise ctx.err(table, key, f"data path {rel!r} leaves the spec's folder "
                                  "(use --allow-outside to permit it)")
    if path.suffix not in (".npy", ".csv", ".npz"):
        raise ctx.err(table, key, f"data file {rel!r} must be .npy, .csv or .npz:NAME")
    if not path.is_file():
        raise ctx.err(table, key, f"data file {rel!r} not found (looked for {path})")
    check_limit("max_text", path.stat().st_size, f"data file {rel!r}")
    try:
        if path.suffix == ".npy":
            with open(path, "rb") as fh:
                return _read_npy(fh, path.stat().st_size)
        if path.suffix == ".csv":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an empty file is reported below
                return np.loadtxt(path, delimiter=",", ndmin=1)
        return _load_npz_member(ctx, table, key, path, rel, member)
    except SpecError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ctx.err(table, key, f"cannot read {rel!r}: {e}") from None


def _load_npz_member(ctx: _Ctx, table: str, key: str, path: Path, rel: str,
                     member: str | None) -> np.ndarray:
    with zipfile.ZipFile(path) as zf:
        names = sorted(n.removesuffix(".npy") for n in zf.namelist())
        if member is None or member + ".npy" not in zf.namelist():
            raise ctx.err(table, key, f"name the array inside {rel!r} as "
                                      f"'{rel}:NAME'; it holds {names[:20]}")
        info = zf.getinfo(member + ".npy")
        check_limit("max_text", info.file_size, f"array {member!r} of {rel!r}")
        with zf.open(info) as fh:
            return _read_npy(fh, info.file_size)


def _array(ctx: _Ctx, table: str, key: str, v: Any, kind: str) -> np.ndarray:
    if isinstance(v, str):
        arr = _load_file(ctx, table, key, v)
    else:
        if not _plain_numbers(v):
            raise ctx.err(table, key, f"expected a {kind} of numbers, got {_short(v)}")
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):  # ragged nesting
            raise ctx.err(table, key, f"expected a {kind} of numbers (rows of equal length), "
                                      f"got {_short(v)}") from None
    ndim = 2 if kind == "matrix" else 1
    if kind == "vector" and arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != ndim:
        raise ctx.err(table, key, f"expected a {kind}, got an array of shape {arr.shape}")
    if arr.dtype.kind not in "fiu" or not np.isfinite(arr).all():
        raise ctx.err(table, key, f"expected a {kind} of finite numbers")
    return arr.astype(float)


def _family_box(ctx: _Ctx, name: str, table: dict[str, Any], family: str) -> OpenProblem:
    tname = f"boxes.{name}"
    builder, keys = FAMILIES[family]
    allowed = set(keys) | {"objective", "ports", "size"}
    for k in table:
        if k not in allowed:
            raise ctx.err(tname, k, f"unknown key for objective {family!r}; expected one of "
                                    f"{sorted(allowed)}")
    args: dict[str, Any] = {}
    for k, kind in keys.items():
        optional = kind.endswith("?")
        kind = kind.rstrip("?")
        if k not in table:
            if optional:
                args[k] = 0.0
                continue
            raise ctx.err(tname, k, f"missing: objective {family!r} needs it")
        if kind == "number":
            args[k] = _number(ctx, tname, k, table[k])
        else:
            args[k] = _array(ctx, tname, k, table[k], kind)
    if family == "quadratic":
        n = len(args["a"])
        if "size" in table:
            size = _int(ctx, tname, "size", table["size"], 1)
            if size != n:
                raise ctx.err(tname, "size", f"is {size} but 'a' has {n} entries")
        if args["P"].shape != (n, n):
            raise ctx.err(tname, "P", f"expected a {n}x{n} matrix, got shape {args['P'].shape}")
        n_vars = n
    elif family == "least_squares":
        if args["A"].shape[0] != len(args["b"]):
            raise ctx.err(tname, "b", f"has {len(args['b'])} entries but 'A' has "
                                      f"{args['A'].shape[0]} rows")
        n_vars = args["A"].shape[1]
    else:
        if args["X"].shape[0] != len(args["y"]):
            raise ctx.err(tname, "y", f"has {len(args['y'])} labels but 'X' has "
                                      f"{args['X'].shape[0]} rows")
        n_vars = args["X"].shape[1]
    if "size" in table and family != "quadratic":
        size = _int(ctx, tname, "size", table["size"], 1)
        if size != n_vars:
            raise ctx.err(tname, "size", f"is {size} but the data give {n_vars} variables")
    ports = table.get("ports", [])
    if not isinstance(ports, list):
        raise ctx.err(tname, "ports", f"expected a list of coordinate indices, got {ports!r}")
    for k, p in enumerate(ports):
        if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < n_vars:
            raise ctx.err(tname, "ports", f"entry {k} is {p!r}; expected an index from 0 to "
                                          f"{n_vars - 1}")
    return builder(**args, ports=ports, name=name)


def _python_box(ctx: _Ctx, name: str, table: dict[str, Any]) -> OpenProblem:
    tname = f"boxes.{name}"
    if not ctx.allow_import:
        raise ctx.err(tname, "objective", "'python' runs code from a module; it is honoured "
                                          "only with --allow-import (allow_import=True)")
    target = table.get("function")
    if not isinstance(target, str) or ":" not in target:
        raise ctx.err(tname, "function", f"expected 'module:attr', got {target!r}")
    module, _, attr = target.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise ctx.err(tname, "function", f"cannot import {target!r}: {e}") from None
    kwargs = {k: v for k, v in table.items() if k not in ("objective", "function")}
    try:
        p = fn(**kwargs)
    except CatoptError:
        raise
    except Exception as e:
        raise ctx.err(tname, "function", f"{target} raised {type(e).__name__}: {e}") from None
    if not isinstance(p, OpenProblem):
        raise ctx.err(tname, "function", f"{target} returned {type(p).__name__}, expected an "
                                         "OpenProblem")
    return p


def _solve_table(ctx: _Ctx, table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ctx.err("solve", None, "expected a table")
    out: dict[str, Any] = {}
    for k, v in table.items():
        if k not in SOLVE_KEYS:
            raise ctx.err("solve", k, f"unknown key; expected one of {sorted(SOLVE_KEYS)}")
        if k == "step":
            out[k] = _number(ctx, "solve", k, v, positive=True)
        elif k in ("steps", "checkpoint_every"):
            out[k] = _int(ctx, "solve", k, v, 0 if k == "steps" else 1)
        elif k == "workers":
            out[k] = _int(ctx, "solve", k, v, 1)
        elif k == "tol":
            out[k] = _number(ctx, "solve", k, v, nonnegative=True)
        elif k == "checkpoint":
            if not isinstance(v, str) or not v or "\x00" in v:
                raise ctx.err("solve", k, f"expected a folder name (a string), got {_short(v)}")
            path = (ctx.base / v).resolve()  # relative to the spec, like its data files
            if not ctx.allow_outside and not path.is_relative_to(ctx.base.resolve()):
                raise ctx.err("solve", k, f"checkpoint folder {v!r} leaves the spec's folder "
                                          "(use --allow-outside to permit it)")
            out[k] = str(path)
        elif k == "engine":
            if not isinstance(v, str) or v not in ENGINES:  # a list is unhashable
                raise ctx.err("solve", k, f"expected one of {list(ENGINES)}, got {v!r}")
            out[k] = v
        elif ENGINE_KEYS.get(k) == "int":
            out[k] = _int(ctx, "solve", k, v, 1)
        elif ENGINE_KEYS.get(k) == "number":
            out[k] = _number(ctx, "solve", k, v, positive=True)
        elif ENGINE_KEYS.get(k) == "name":
            if not isinstance(v, str):
                raise ctx.err("solve", k, f"expected a name (a string), got {_short(v)}")
            out[k] = v
        elif k == "x0":
            if isinstance(v, dict):
                out[k] = {lab: _number(ctx, "solve.x0", lab, x) for lab, x in v.items()}
            elif isinstance(v, list):
                out[k] = [_number(ctx, "solve", "x0", x) for x in v]
            else:
                out[k] = _number(ctx, "solve", k, v)
    return out


def _check_x0(ctx: _Ctx, x0: Any, composite: OpenProblem) -> None:
    """An ``x0`` list must have one entry per coordinate; a table must name coordinates."""
    if isinstance(x0, list) and len(x0) != composite.n:
        raise ctx.err("solve", "x0", f"has {len(x0)} entries; expected {composite.n}, one per "
                                     f"coordinate {list(composite.labels)[:10]}")
    if isinstance(x0, dict):
        known = set(composite.labels) | set(composite.space.names)
        for lab in x0:
            if lab not in known:
                raise ctx.err("solve.x0", lab, "is neither a coordinate label nor a variable "
                                               f"of the problem; labels are "
                                               f"{list(composite.labels)[:10]}")


def _check_box_ports(ctx: _Ctx, d: UWD, name: str, p: OpenProblem, key: str) -> None:
    """The box's problem must expose one port per port of box ``name`` in the relation, each
    of its junction's shape; errors name ``[boxes.NAME]`` and ``key``."""
    tname = f"boxes.{name}"
    for b in (i for i, n in enumerate(d.boxes) if n == name):
        wires = d.ports(b)
        if len(p.ports) != len(wires):
            raise ctx.err(tname, key, f"the box exposes {len(p.ports)} ports but box {name!r} "
                                      f"has {len(wires)} in the relation ({', '.join(wires)})")
        for k, (have, want) in enumerate(zip(p.port_shapes, d.port_shapes(b), strict=True)):
            if have != want and key == "ports" and have == ():
                raise ctx.err(tname, key, f"port {k} has shape () but junction {wires[k]!r} "
                                          f"has shape {want} (see [shapes]): the "
                                          f"built-in objectives ({', '.join(sorted(FAMILIES))}) "
                                          f"expose scalar coordinates only. Drop the junction's "
                                          f"shape and wire one scalar junction per coordinate, "
                                          f"or write the box as objective = \"python\" (a "
                                          f"function returning an OpenProblem with named, "
                                          f"shaped variables)")
            if have != want:
                raise ctx.err(tname, key, f"port {k} has shape {have} but junction "
                                          f"{wires[k]!r} has shape {want} (see [shapes])")


def _shape_ok(v: Any) -> bool:
    def dim(k: Any) -> bool:
        return isinstance(k, int) and not isinstance(k, bool) and k >= 0

    return dim(v) or (isinstance(v, list) and all(dim(k) for k in v))


def _check_shapes(ctx: _Ctx, shapes: dict[str, Any], d: UWD) -> None:
    """Each ``[shapes]`` key is a junction of the relation, each value a shape."""
    for k, v in shapes.items():
        if k not in d.junctions:
            raise ctx.err("shapes", k, f"no junction {k!r} in the relation; junctions are "
                                       f"{list(d.junctions)[:20]}")
        if not _shape_ok(v):
            raise ctx.err("shapes", k, "expected a non-negative integer or a list of them "
                                       f"(e.g. 3 or [2, 3]), got {_short(v)}")


def _toml_where(message: str, text: str) -> str:
    """tomllib's message with the offending line quoted and a caret under the column, as
    relation syntax errors show them ("Invalid value (at line 5, column 8)" alone was hard
    to act on)."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    lines = text.split("\n")
    if not m or not 1 <= int(m.group(1)) <= len(lines):
        return message
    line, col = int(m.group(1)), int(m.group(2))
    src = lines[line - 1]
    # keep tabs under tabs so the caret lines up however the terminal shows them
    pad = "".join("\t" if ch == "\t" else " " for ch in src[: col - 1])
    reason = message[: m.start()].strip()
    return f"{reason} at line {line}, column {col}\n  {src}\n  {pad}^"


def loads_spec(text: str, *, name: str = "<spec>", base: str | Path = ".",
               allow_import: bool = False, allow_outside: bool = False) -> Any:
    """Load a spec from TOML text; ``base`` is the folder data paths are relative to.

    ``kind = "flow"`` makes it a flow-network spec (:mod:`catopt.interfaces.spec_flow`),
    loaded as a :class:`~catopt.interfaces.spec_flow.FlowSpec`."""
    ctx = _Ctx(name, Path(base), allow_import, allow_outside)
    check_limit("max_text", len(text), f"spec {name}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{name}: not valid TOML: {_toml_where(str(e), text)}") from None
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise SpecError(f"{name}: not valid TOML: {e}") from None
    except RecursionError:
        raise SpecError(f"{name}: not valid TOML: arrays or tables nested too deeply") from None
    for k in data:
        if k not in TOP_KEYS:
            raise ctx.err("", k, f"unknown key; expected one of {sorted(TOP_KEYS)}")
    if "relation" not in data:
        raise ctx.err("", "relation", "missing: the wiring diagram, e.g. "
                                      "'(x,) :- f(x, y), g(y)'")
    if not isinstance(data["relation"], str):
        raise ctx.err("", "relation", "expected a string")
    shapes = data.get("shapes", {})
    if not isinstance(shapes, dict):
        raise ctx.err("shapes", None, "expected a table of junction shapes")
    try:
        bare = relation(data["relation"])
    except CatoptError as e:
        raise ctx.err("", "relation", str(e)) from None
    _check_shapes(ctx, shapes, bare)
    try:
        d = relation(data["relation"], shapes=shapes)
    except CatoptError as e:
        raise ctx.err("shapes", None, str(e)) from None
    kind = data.get("kind", "problem")
    if kind not in ("problem", "flow"):
        raise ctx.err("", "kind", f"expected 'problem' or 'flow', got {_short(kind)}")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise ctx.err("", "title", f"expected a string, got {_short(title)}")
    if kind == "flow":
        from catopt.interfaces.spec_flow import flow_spec

        return flow_spec(name, data, d, title)
    boxes = data.get("boxes", {})
    if not isinstance(boxes, dict):
        raise ctx.err("boxes", None, "expected one table per box, [boxes.NAME]")
    problems: dict[str, OpenProblem] = {}
    for bname, table in boxes.items():
        if bname not in d.boxes:
            raise ctx.err(f"boxes.{bname}", None, f"no box {bname!r} in the relation; boxes "
                                                  f"are {list(dict.fromkeys(d.boxes))}")
        if not isinstance(table, dict):
            raise ctx.err(f"boxes.{bname}", None, "expected a table")
        family = table.get("objective")
        if not isinstance(family, str):  # found by fuzzing: a table here is unhashable
            raise ctx.err(f"boxes.{bname}", "objective",
                          f"expected one of {sorted(FAMILIES) + ['python']}, got {family!r}")
        if family == "python":
            problems[bname] = _python_box(ctx, bname, table)
            _check_box_ports(ctx, d, bname, problems[bname], "function")
        elif isinstance(family, str) and family in FAMILIES:
            try:
                problems[bname] = _family_box(ctx, bname, table, family)
            except SpecError:
                raise
            except CatoptError as e:
                raise ctx.err(f"boxes.{bname}", None, str(e)) from None
            _check_box_ports(ctx, d, bname, problems[bname], "ports")
        else:
            raise ctx.err(f"boxes.{bname}", "objective",
                          f"expected one of {sorted(FAMILIES) + ['python']}, "
                          f"got {_short(family)}")
    missing = [b for b in dict.fromkeys(d.boxes) if b not in problems]
    if missing:
        raise ctx.err("boxes", None, f"no table for boxes {missing}")
    try:
        composite = compose(d, problems)
    except CatoptError as e:
        raise SpecError(f"{name}: {e}") from None
    solve = _solve_table(ctx, data.get("solve", {}))
    _check_x0(ctx, solve.get("x0"), composite)
    return Spec(name, d, problems, composite, solve, title)


def load_spec(path: str | Path, *, allow_import: bool = False,
              allow_outside: bool = False) -> Any:
    """Load a spec file (TOML): a :class:`Spec`, or a
    :class:`~catopt.interfaces.spec_flow.FlowSpec` for ``kind = "flow"``."""
    p = Path(path)
    try:
        if not p.is_file():
            raise SpecError(f"{path}: spec file not found")
        limit = get_limits().max_text
        with open(p, "rb") as fh:  # a bounded read: the limit is checked before the text is
            raw = fh.read(limit + 1)
        check_limit("max_text", len(raw), f"spec {path}")
        text = raw.decode("utf-8")
    except CatoptError:
        raise
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise SpecError(f"{path}: cannot read the spec: {e}") from None
    return loads_spec(text, name=str(path), base=p.parent, allow_import=allow_import,
                      allow_outside=allow_outside)
