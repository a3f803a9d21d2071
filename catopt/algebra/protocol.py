"""The UWD-algebra protocol and the one generic composition.

An *algebra* of a UWD operad assigns to each finite set of ports the open things with those
ports, and to each diagram a way to compose them (``oapply``). Every kind catopt composes is
built the same way (Fong's decorated cospans, as AlgebraicOptimization.jl's ``Open{T}``):
an open thing is its *parts*, a decision space ``S`` with ports ``m: P -> S`` and a flat
decoration (its *leaves*, each on its own block of coordinates, read from ``S`` through one
gather index), and composing along a diagram ``d`` is

1. the *laxator*: the disjoint union of the fillers' spaces, their leaves side by side;
2. the *action* of the pushout ``phi: sum_b S_b -> S`` of ``sum_b S_b <- sum_b P_b -> J``
   (:func:`~catopt.algebra.gluing.glue`): the leaves' gather indices are composed with
   ``phi``, so a composite of composites of any depth is still one gather index.

What a kind adds is what its leaves are and what the gluing does to them when the composite is
evaluated: objectives sum (``f = sum_b f_b o phi^*``, so ``grad f = phi_* sum_b grad f_b``),
vector fields push forward, discrete updates push increments, all in the algebra's
coefficient :class:`~catopt.algebra.ring.Ring` (Z2 sums mod 2). A kind is a subclass of
:class:`UWDAlgebra` whose :meth:`~UWDAlgebra.assemble` builds its objects from parts;
:func:`compose` is written once, for all of them, including algebras defined outside catopt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from catopt.algebra.finset import Space
from catopt.algebra.gluing import Gluing, glue
from catopt.algebra.ring import REAL, Ring
from catopt.bulk import with_paused_gc
from catopt.errors import CompositionError
from catopt.wiring.uwd import UWD

__all__ = ["OpenParts", "UWDAlgebra", "compose", "fillers_in_box_order"]


@dataclass(frozen=True, eq=False)
class OpenParts:
    """The flat data of an open thing of any algebra.

    Attributes
    ----------
    space
        The decision (or state) space ``S``.
    ports
        The variable of ``space`` each port exposes (repeats allowed).
    leaves
        The compiled units, each an object with a ``size`` (its number of coordinates)
        and whatever the algebra evaluates (an objective, a vector field, an update, a block
        of constraints, ...).
    leaf_names
        The box path of each leaf (``"b.g"`` for box ``g`` inside box ``b``).
    index
        Leaf coordinate ``s`` (the leaves' coordinates concatenated) reads coordinate
        ``index[s]`` of ``space``; None for the identity (a single leaf on all of ``space``).
    gluing
        The pushout this was composed along (None for a leaf).
    components
        The fillers it was composed from, in box order.
    name
        Used in messages and drawings.
    """

    space: Space
    ports: tuple[int, ...]
    leaves: tuple[Any, ...]
    leaf_names: tuple[str, ...]
    index: np.ndarray | None
    gluing: Gluing | None = None
    components: tuple[Any, ...] = ()
    name: str | None = None

    def __post_init__(self) -> None:
        if len(self.leaves) != len(self.leaf_names):
            raise CompositionError(f"{len(self.leaves)} leaves but {len(self.leaf_names)} names")
        size = sum(int(leaf.size) for leaf in self.leaves)
        if self.index is None:
            if size != self.space.n or len(self.leaves) > 1:
                raise CompositionError("without an index, parts hold one leaf on the whole "
                                       f"space ({self.space.n} coordinates); got leaves of "
                                       f"total size {size}")
        elif self.index.shape != (size,):
            raise CompositionError(f"the gather index has shape {self.index.shape} but the "
                                   f"leaves have {size} coordinates")

    @property
    def gather_index(self) -> np.ndarray:
        """``index``, with the identity spelt out."""
        if self.index is None:
            return np.arange(self.space.n, dtype=np.int64)
        return self.index

    def replace(self, **changes: Any) -> OpenParts:
        """These parts with some fields replaced (e.g. other ``ports``, other ``leaves``)."""
        return dataclasses.replace(self, **changes)


class UWDAlgebra:
    """A UWD-algebra: a kind of open thing that composes along undirected wiring diagrams.

    Subclasses set :attr:`name` and implement :meth:`assemble`; objects of the algebra carry
    ``.algebra`` (an instance of it) and ``.parts`` (their :class:`OpenParts`). Two algebras
    are equal when they are of one class over one ring: only equal algebras compose.

    Parameters
    ----------
    ring
        The coefficient ring of the sums the gluing takes (default the reals).
    """

    #: the kind's name in messages: "problem", "continuous", "discrete", ...
    name: str = "open thing"

    def __init__(self, ring: Ring = REAL) -> None:
        self.ring = ring

    def assemble(self, parts: OpenParts) -> Any:
        """The object of this algebra with the given parts (a leaf or a composite)."""
        raise NotImplementedError(f"{type(self).__name__} must implement assemble(parts)")

    def describe(self) -> str:
        return self.name if self.ring is REAL else f"{self.name} over {self.ring.name}"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.ring == self.ring  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.ring))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.ring.name})"


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


@with_paused_gc
def compose(d: UWD, fillers: Mapping[str, Any] | Sequence[Any], *,
            algebra: UWDAlgebra | None = None) -> Any:
    """Compose open things of one algebra along the UWD ``d`` (``oapply``).

    Parameters
    ----------
    d
        The diagram.
    fillers
        A mapping keyed by box name or a sequence in box order; every filler has
        ``.algebra`` and ``.parts`` and all algebras are equal (all problems, all continuous
        systems over the reals, all Z2 problems, ...). Port counts and shapes are checked.
    algebra
        The algebra of the result; needed only when ``d`` has no boxes.

    Returns
    -------
    The composite, built by ``algebra.assemble``: its space is the pushout (junctions first, in
    ``d.junctions`` order, then each box's unexposed coordinates, box by box, labelled
    ``box.label``), its ports the outer ports, its leaves the fillers' leaves in box order.
    """
    items = fillers_in_box_order(d, fillers)
    qual = d.qualified_boxes()
    for q, item in zip(qual, items, strict=True):
        if not isinstance(getattr(item, "algebra", None), UWDAlgebra) or \
                not isinstance(getattr(item, "parts", None), OpenParts):
            raise CompositionError(
                f"filler of box {q!r} must be an open thing of a UWD-algebra (an open problem "
                f"or system), got {type(item).__name__}"
            )
    algebras = {item.algebra for item in items}
    if len(algebras) > 1:
        desc = ", ".join(f"{q}: {i.algebra.describe()}" for q, i in zip(qual, items, strict=True))
        raise CompositionError(f"cannot compose fillers of different kinds ({desc})")
    if items:
        alg = items[0].algebra
        if algebra is not None and algebra != alg:
            raise CompositionError(f"the fillers are of kind {alg.describe()}, not "
                                   f"{algebra.describe()}")
    elif algebra is None:
        raise CompositionError("a diagram with no boxes needs algebra= to say what it composes")
    else:
        alg = algebra
    parts = [item.parts for item in items]
    gluing = glue(d, [p.space for p in parts], [p.ports for p in parts],
                  [tuple(p.space.names[v] for v in p.ports) for p in parts])
    leaves: list[Any] = []
    names: list[str] = []
    pieces: list[np.ndarray] = []
    for b, p in enumerate(parts):
        box_idx = gluing.box_index(b)
        pieces.append(box_idx if p.index is None else box_idx[p.index])
        leaves.extend(p.leaves)
        if p.gluing is None:
            names.extend(qual[b] for _ in p.leaves)
        else:
            names.extend(f"{qual[b]}.{inner}" for inner in p.leaf_names)
    index = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    return alg.assemble(OpenParts(gluing.space, gluing.outer, tuple(leaves), tuple(names), index,
                                  gluing, tuple(items)))
