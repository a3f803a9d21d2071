"""Undirected wiring diagrams (UWDs).

A UWD has boxes B, ports P, junctions J and outer ports O with maps ``box: P -> B``,
``junction: P -> J`` and ``outer_junction: O -> J``; as a cospan of finite sets it is
``sum_b P_b -> J <- O``. Each junction carries a shape: the shape of the real array that the
shared variable is (``()`` for a scalar).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.errors import DiagramError, ShapeError
from catopt.limits import check_limit
from catopt.validate import mapping, sequence

__all__ = ["UWD", "Shape", "normalize_shape"]

Shape = tuple[int, ...]


def normalize_shape(shape: Any, what: str) -> Shape:
    """Return ``shape`` as a tuple of non-negative ints, or raise a ShapeError naming ``what``."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    try:
        out = tuple(shape)
    except TypeError:
        raise ShapeError(
            f"shape of {what} must be a tuple of non-negative ints, got {shape!r}"
        ) from None
    for k in out:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ShapeError(f"shape of {what} must be a tuple of non-negative ints, got {shape!r}")
    shape_out = tuple(int(k) for k in out)
    check_limit("max_variables", math.prod(shape_out), f"the shape {shape_out} of {what}")
    return shape_out


def check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise DiagramError(f"{what} must be a non-empty string, got {name!r}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no file, drawing or terminal can show it
        raise DiagramError(f"{what} must be valid Unicode text, got {name!r}") from None
    return name


class UWD:
    """An immutable undirected wiring diagram, validated on construction.

    Parameters
    ----------
    boxes
        Sequence of ``(name, junction_names)`` pairs, one per box, ports in order.
        Box names may repeat.
    outer
        The junction name of each outer port, in order.
    junctions
        All junction names in order; by default the order of first appearance, outer
        ports first. Give it to add junctions that no port touches.
    shapes
        Mapping from junction name to its shape; junctions not named are scalars.
    """

    __slots__ = ("_boxes", "_box_ports", "_junctions", "_jindex", "_shapes", "_outer", "_hash")

    def __init__(
        self,
        boxes: Iterable[tuple[str, Sequence[str]]],
        outer: Sequence[str] = (),
        *,
        junctions: Sequence[str] | None = None,
        shapes: Mapping[str, Any] | None = None,
    ) -> None:
        box_list: list[tuple[str, tuple[str, ...]]] = []
        boxes = sequence(boxes, "boxes", error=DiagramError,
                         expected="a sequence of (name, junctions) pairs")
        for k, item in enumerate(boxes):
            try:
                name, ports = item
            except (TypeError, ValueError):
                raise DiagramError(
                    f"box {k} must be a (name, junctions) pair, got {item!r}"
                ) from None
            check_name(name, f"name of box {k}")
            if isinstance(ports, str):
                raise DiagramError(
                    f"ports of box {name!r} must be a sequence of junction names, got the "
                    f"string {ports!r}"
                )
            ports = tuple(sequence(ports, f"ports of box {name!r}", error=DiagramError,
                                   expected="a sequence of junction names"))
            for p, j in enumerate(ports):
                check_name(j, f"junction of port {p} of box {name!r}")
            box_list.append((name, ports))
        if isinstance(outer, str):
            raise DiagramError(f"outer must be a sequence of junction names, got {outer!r}")
        outer = tuple(sequence(outer, "outer", error=DiagramError,
                               expected="a sequence of junction names"))
        check_limit("max_boxes", len(box_list), "the diagram")
        check_limit("max_ports", sum(len(p) for _, p in box_list) + len(outer), "the diagram")
        for o, j in enumerate(outer):
            check_name(j, f"junction of outer port {o}")

        if junctions is None:
            seen: dict[str, None] = {}
            for j in outer:
                seen.setdefault(j)
            for _, ports in box_list:
                for j in ports:
                    seen.setdefault(j)
            jnames = tuple(seen)
        else:
            jnames = tuple(sequence(junctions, "junctions", error=DiagramError,
                                    expected="a sequence of junction names"))
            for j in jnames:
                check_name(j, "junction name")
            if len(set(jnames)) != len(jnames):
                from collections import Counter

                dup = sorted(j for j, c in Counter(jnames).items() if c > 1)[:10]
                raise DiagramError(f"junction names must be distinct; repeated: {dup}")
        check_limit("max_junctions", len(jnames), "the diagram")
        jindex = {j: i for i, j in enumerate(jnames)}
        for o, j in enumerate(outer):
            if j not in jindex:
                raise DiagramError(f"outer port {o} names unknown junction {j!r}")
        for name, ports in box_list:
            for p, j in enumerate(ports):
                if j not in jindex:
                    raise DiagramError(f"port {p} of box {name!r} names unknown junction {j!r}")

        shape_list: list[Shape] = [()] * len(jnames)
        for j, s in mapping({} if shapes is None else shapes, "shapes", error=DiagramError,
                            expected="a mapping from junction names to shapes").items():
            if j not in jindex:
                raise DiagramError(
                    f"shapes names unknown junction {j!r}; junctions are {list(jnames)}"
                )
            shape_list[jindex[j]] = normalize_shape(s, f"junction {j!r}")

        self._boxes = tuple(n for n, _ in box_list)
        self._box_ports = tuple(tuple(jindex[j] for j in ports) for _, ports in box_list)
        self._junctions = jnames
        self._jindex = jindex
        self._shapes = tuple(shape_list)
        self._outer = tuple(jindex[j] for j in outer)
        self._hash: int | None = None
        if len(set(self._boxes)) != len(self._boxes) and any("#" in b for b in self._boxes):
            qual = self.qualified_boxes()
            if len(set(qual)) != len(qual):
                clash = sorted({q for q in qual if qual.count(q) > 1})
                raise DiagramError(
                    f"box names {clash} clash with the qualified names of repeated boxes "
                    f"(a repeated box f is called f#0, f#1, ...); rename the boxes")

    # -- construction from indices (internal, no re-validation of names) -------------------
    @classmethod
    def from_indices(
        cls,
        boxes: Sequence[str],
        box_ports: Sequence[Sequence[int]],
        junctions: Sequence[str],
        shapes: Sequence[Shape],
        outer: Sequence[int],
    ) -> UWD:
        js = tuple(junctions)
        return cls(
            [(b, [js[j] for j in ps]) for b, ps in zip(boxes, box_ports, strict=True)],
            [js[j] for j in outer],
            junctions=js,
            shapes={j: s for j, s in zip(js, shapes, strict=True) if s != ()},
        )

    # -- the public view --------------------------------------------------------------------
    @property
    def boxes(self) -> tuple[str, ...]:
        """Box names, in order (names may repeat)."""
        return self._boxes

    @property
    def junctions(self) -> tuple[str, ...]:
        """Junction names, in order."""
        return self._junctions

    @property
    def outer(self) -> tuple[str, ...]:
        """The junction of each outer port, in order."""
        return tuple(self._junctions[j] for j in self._outer)

    @property
    def shapes(self) -> dict[str, Shape]:
        """Mapping from junction name to its shape."""
        return dict(zip(self._junctions, self._shapes, strict=True))

    @property
    def n_boxes(self) -> int:
        return len(self._boxes)

    @property
    def n_ports(self) -> int:
        return sum(len(p) for p in self._box_ports)

    def box_index(self, box: str | int) -> int:
        """The index of ``box``, given by index or by a name that only one box has."""
        if isinstance(box, (int, np.integer)) and not isinstance(box, bool):
            if not 0 <= box < len(self._boxes):
                raise DiagramError(
                    f"box index {box} out of range: the diagram has {len(self._boxes)} boxes"
                )
            return int(box)
        hits = [i for i, b in enumerate(self._boxes) if b == box]
        if not hits:
            raise DiagramError(f"unknown box {box!r}; boxes are {list(self._boxes)}")
        if len(hits) > 1:
            raise DiagramError(
                f"box name {box!r} is used by boxes {hits}; refer to one of them by index"
            )
        return hits[0]

    def ports(self, box: str | int) -> tuple[str, ...]:
        """The junction of each port of ``box`` (a name or an index), in order."""
        return tuple(self._junctions[j] for j in self._box_ports[self.box_index(box)])

    def port_shapes(self, box: str | int) -> tuple[Shape, ...]:
        """The shape of each port of ``box``: the shape of the junction it is wired to."""
        return tuple(self._shapes[j] for j in self._box_ports[self.box_index(box)])

    def shape(self, junction: str) -> Shape:
        """The shape of ``junction``."""
        return self._shapes[self.junction_index(junction)]

    def junction_index(self, junction: str) -> int:
        try:
            return self._jindex[junction]
        except (KeyError, TypeError):
            raise DiagramError(
                f"unknown junction {junction!r}; junctions are {list(self._junctions)}"
            ) from None

    def junction_size(self, junction: str) -> int:
        """Number of scalar coordinates of ``junction``'s variable."""
        return int(np.prod(self.shape(junction), dtype=np.int64))

    @property
    def box_port_indices(self) -> tuple[tuple[int, ...], ...]:
        """For each box, the junction index of each of its ports."""
        return self._box_ports

    @property
    def outer_indices(self) -> tuple[int, ...]:
        """The junction index of each outer port."""
        return self._outer

    @property
    def junction_shapes(self) -> tuple[Shape, ...]:
        """The shape of each junction, in junction order."""
        return self._shapes

    def qualified_boxes(self) -> tuple[str, ...]:
        """Box names made unique: a repeated name ``f`` becomes ``f#0``, ``f#1``, ..."""
        counts: dict[str, int] = {}
        for b in self._boxes:
            counts[b] = counts.get(b, 0) + 1
        seen: dict[str, int] = {}
        out = []
        for b in self._boxes:
            if counts[b] == 1:
                out.append(b)
            else:
                k = seen.get(b, 0)
                seen[b] = k + 1
                out.append(f"{b}#{k}")
        return tuple(out)

    def boxes_of(self, junction: str) -> tuple[int, ...]:
        """Indices of the boxes with a port on ``junction`` (each box once)."""
        j = self.junction_index(junction)
        return tuple(b for b, ps in enumerate(self._box_ports) if j in ps)

    # -- operations (implemented in sibling modules) ------------------------------------------
    def substitute(self, fillers: Mapping[str | int, UWD], *, qualify: bool = True) -> UWD:
        """Operadic substitution: replace each given box by a diagram; see ``substitute``."""
        from catopt.wiring.substitute import substitute

        return substitute(self, fillers, qualify=qualify)

    def to_json(self, **kwargs: Any) -> str:
        """Catlab ACSet JSON (Box, Port, OuterPort, Junction and the attribute-type tables);
        see ``catopt.wiring.to_json``."""
        from catopt.wiring.acset_json import to_json

        return to_json(self, **kwargs)

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """Catlab ACSet form as a dict of tables."""
        from catopt.wiring.acset_json import to_acset

        return to_acset(self)

    @classmethod
    def from_json(cls, text: str | bytes, *, types: Mapping[Any, Any] | None = None) -> UWD:
        """Read Catlab ACSet JSON (as written by ``to_json``, by Catlab.jl/ACSets.jl, with
        attribute-type tables, or by older catopt) or a SyntacticModels ``UWDExpr``;
        ``types`` maps a typed diagram's Catlab types to shapes (see
        ``catopt.wiring.acset_json.from_acset``)."""
        from catopt.wiring.acset_json import from_json

        return from_json(text, types=types)

    def to_networkx(self) -> Any:
        """A bipartite ``networkx.MultiGraph`` of boxes and junctions, one edge per port."""
        from catopt.wiring.graph import to_networkx

        return to_networkx(self)

    def to_relation(self) -> str:
        """The diagram as relation text ``(x, y) :- f(x, w), g(w, y)`` (shapes not included)."""
        outer = ", ".join(self.outer)
        atoms = ", ".join(
            f"{b}({', '.join(self._junctions[j] for j in ps)})"
            for b, ps in zip(self._boxes, self._box_ports, strict=True)
        )
        return f"({outer}) :- {atoms}"

    # -- value semantics ---------------------------------------------------------------------
    def _key(self) -> tuple[Any, ...]:
        return (self._boxes, self._box_ports, self._junctions, self._shapes, self._outer)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UWD) and self._key() == other._key()

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(self._key())
        return self._hash

    def __repr__(self) -> str:
        shaped = {j: s for j, s in self.shapes.items() if s != ()}
        extra = f", shapes={shaped}" if shaped else ""
        return f"relation({self.to_relation()!r}{extra})"

    def __setattr__(self, name: str, value: Any) -> None:
        if name in UWD.__slots__ and not hasattr(self, "_hash"):
            object.__setattr__(self, name, value)
        elif name == "_hash":
            object.__setattr__(self, name, value)
        else:
            raise AttributeError("UWD is immutable")
