"""Composition by variable sharing along a UWD (the UWD algebra, ``oapply``).

``compose(d, fillers)`` glues the fillers' spaces by the pushout of
``sum_b S_b <- sum_b P_b -> J`` (see :mod:`catopt.wiring.gluing`). For problems the objectives
add, pulled back along the gluing; for systems, continuous vector fields are pushed forward
(``v(y) = phi_* (sum_b v_b)(phi^* y)``) and discrete updates push increments
(``u(y) = y + phi_*((sum_b u_b)(phi^* y) - phi^* y)``). The result composes again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from catopt.errors import CompositionError
from catopt.problems.base import Open
from catopt.wiring.gluing import glue
from catopt.wiring.uwd import UWD

__all__ = ["compose", "fillers_in_box_order"]


def fillers_in_box_order(d: UWD, fillers: Mapping[str, Any] | Sequence[Any]) -> list[Any]:
    """The filler of each box of ``d``, from a mapping keyed by box name or a sequence.

    A name shared by several boxes fills all of them; qualified names (``f#1``) fill one.
    """
    if not isinstance(d, UWD):
        raise CompositionError(f"compose needs a UWD first, got {type(d).__name__}")
    if isinstance(fillers, Mapping):
        qual = d.qualified_boxes()
        known = set(d.boxes) | set(qual)
        unknown = [k for k in fillers if k not in known]
        if unknown:
            raise CompositionError(
                f"unknown boxes {unknown}; the diagram's boxes are {list(d.boxes)}"
            )
        out = []
        missing = []
        for b, q in zip(d.boxes, qual, strict=True):
            if q in fillers:
                out.append(fillers[q])
            elif b in fillers:
                out.append(fillers[b])
            else:
                missing.append(q)
        if missing:
            raise CompositionError(f"no filler given for boxes {missing}")
        return out
    if isinstance(fillers, (str, bytes)) or not isinstance(fillers, Sequence):
        raise CompositionError(
            "fillers must be a mapping from box names or a sequence in box order, got "
            f"{type(fillers).__name__}"
        )
    out = list(fillers)
    if len(out) != d.n_boxes:
        raise CompositionError(
            f"the diagram has {d.n_boxes} boxes {list(d.boxes)} but {len(out)} fillers were given"
        )
    return out


def compose(d: UWD, fillers: Mapping[str, Any] | Sequence[Any]) -> Any:
    """Compose open problems (or open systems) along the UWD ``d``.

    ``fillers`` is a mapping keyed by box name or a sequence in box order; all fillers must be
    of one kind (all problems, all continuous systems or all discrete systems). Port counts and
    shapes are checked. Coordinates of the result: junctions first, in ``d.junctions`` order,
    then each box's unexposed coordinates, box by box, labelled ``box.label``.
    """
    items = fillers_in_box_order(d, fillers)
    qual = d.qualified_boxes()
    for q, item in zip(qual, items, strict=True):
        if not isinstance(item, Open):
            raise CompositionError(
                f"filler of box {q!r} must be an open problem or system, got {type(item).__name__}"
            )
    kinds = {type(item)._kind for item in items}
    if len(kinds) > 1:
        desc = ", ".join(f"{q}: {type(i).__name__}" for q, i in zip(qual, items, strict=True))
        raise CompositionError(f"cannot compose fillers of different kinds ({desc})")
    if items:
        cls: type[Open] = type(items[0])
        base = next(c for c in cls.__mro__ if c.__dict__.get("_kind") == cls._kind)
    else:
        from catopt.problems.open_problem import OpenProblem

        base = OpenProblem
    gluing = glue(
        d,
        [item.space for item in items],
        [item.port_variables for item in items],
        [tuple(map(str, item.ports)) for item in items],
    )
    blocks: list[Any] = []
    names: list[str] = []
    pieces: list[np.ndarray] = []
    for b, item in enumerate(items):
        box_idx = gluing.box_index(b)
        pieces.append(box_idx if item._index is None else box_idx[item._index])
        blocks.extend(item._blocks)
        if item._gluing is None:
            names.extend(qual[b] for _ in item._blocks)
        else:
            names.extend(f"{qual[b]}.{inner}" for inner in item._block_names)
    index = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    return base._from_composition(gluing, items, blocks, names, index)
