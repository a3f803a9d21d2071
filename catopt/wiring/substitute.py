"""Operadic substitution of UWDs.

Substituting a diagram ``e`` into box ``b`` of ``d`` wires the k-th outer port of ``e`` to the
junction of the k-th port of ``b``. Junctions of ``d`` that ``e`` connects (an inner junction
on two outer ports) are merged. Composition along the result equals composing twice:
``compose(d.substitute({b: e}), ...) == compose(d, {b: compose(e, ...)})``.
"""

from __future__ import annotations

from collections.abc import Mapping

from catopt.errors import DiagramError, ShapeError
from catopt.wiring.quotient import quotient
from catopt.wiring.uwd import UWD

__all__ = ["substitute"]


def substitute(d: UWD, fillers: Mapping[str | int, UWD], *, qualify: bool = True) -> UWD:
    """Substitute diagrams into boxes of ``d``.

    ``fillers`` maps boxes (by unique name or index) to diagrams whose outer port count and
    shapes match the box's ports. With ``qualify`` (the default), an inner box ``g`` of the
    diagram put into box ``b`` is renamed ``b.g``, and an inner junction ``u`` that is not an
    outer port becomes ``b.u``, so names stay unique and match the labels of nested
    composites; other boxes with repeated names take their qualified names (``f#1``). Boxes
    keep their order, the inner boxes standing where ``b`` stood.
    """
    by_index: dict[int, UWD] = {}
    for key, e in fillers.items():
        i = d.box_index(key)
        if not isinstance(e, UWD):
            raise DiagramError(f"filler for box {d.boxes[i]!r} must be a UWD, got {type(e)}")
        if i in by_index:
            raise DiagramError(f"box {d.boxes[i]!r} (index {i}) is given two fillers")
        by_index[i] = e
    qual = d.qualified_boxes()

    # nodes: d's junctions, then each filler's junctions
    names: list[str] = list(d.junctions)
    shapes = list(d.junction_shapes)
    offsets: dict[int, int] = {}
    for i, e in sorted(by_index.items()):
        ports = d.box_port_indices[i]
        if len(e.outer_indices) != len(ports):
            raise DiagramError(
                f"cannot substitute into box {d.boxes[i]!r}: it has {len(ports)} ports but the "
                f"diagram has {len(e.outer_indices)} outer ports"
            )
        for k, (pj, oj) in enumerate(zip(ports, e.outer_indices, strict=True)):
            if d.junction_shapes[pj] != e.junction_shapes[oj]:
                raise ShapeError(
                    f"cannot substitute into box {d.boxes[i]!r}: port {k} is on junction "
                    f"{d.junctions[pj]!r} of shape {d.junction_shapes[pj]} but outer port {k} of "
                    f"the filler is on junction {e.junctions[oj]!r} of shape "
                    f"{e.junction_shapes[oj]}"
                )
        offsets[i] = len(names)
        prefix = f"{qual[i]}." if qualify else ""
        names.extend(prefix + j for j in e.junctions)
        shapes.extend(e.junction_shapes)

    rep = quotient(len(names), (
        (pj, off + oj)
        for i, off in offsets.items()
        for pj, oj in zip(d.box_port_indices[i], by_index[i].outer_indices, strict=True)
    )).tolist()

    # surviving junctions: class representatives, d's first, then fillers' in order
    reps = sorted(set(rep))
    new_index = {r: k for k, r in enumerate(reps)}
    new_names = [names[r] for r in reps]
    if len(set(new_names)) != len(new_names):
        dup = sorted({n for n in new_names if new_names.count(n) > 1})
        raise DiagramError(
            f"substitution would create repeated junction names {dup}; use qualify=True"
        )

    def jmap(a: int) -> int:
        return new_index[rep[a]]

    boxes: list[str] = []
    box_ports: list[list[int]] = []
    for i, b in enumerate(d.boxes):
        if i in by_index:
            e = by_index[i]
            off = offsets[i]
            for g, ps in zip(e.boxes, e.box_port_indices, strict=True):
                boxes.append(f"{qual[i]}.{g}" if qualify else g)
                box_ports.append([jmap(off + p) for p in ps])
        else:
            # a repeated name keeps its qualified form (f#1), so labels stay stable
            boxes.append(qual[i] if qualify else b)
            box_ports.append([jmap(p) for p in d.box_port_indices[i]])
    outer = [jmap(o) for o in d.outer_indices]
    return UWD.from_indices(boxes, box_ports, new_names, [shapes[r] for r in reps], outer)
