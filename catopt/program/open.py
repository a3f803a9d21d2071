"""The base of every open thing: its parts, its algebra, and its compiled program.

An open problem, an open continuous or discrete system (over the reals or Z2), and any
kind defined outside catopt share this: a decision space, ports, and a flat structure
(:class:`~catopt.algebra.protocol.OpenParts`) that :func:`~catopt.algebra.protocol.compose`
builds for every algebra alike. A leaf has one leaf unit and the identity index; composing
composes the index arrays, so a composite of composites of any depth is still one gather, one
call per leaf, and one scatter-add (its :attr:`Open.program`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from catopt.algebra.finset import Space
from catopt.algebra.gluing import Gluing
from catopt.algebra.protocol import OpenParts, UWDAlgebra
from catopt.program.program import Program
from catopt.wiring.uwd import UWD, Shape

__all__ = ["Open"]


class Open:
    """An open thing: ``parts`` (space, ports, leaves, gather index) of an ``algebra``.

    Subclasses construct themselves from a user's function and call
    ``Open.__init__(self, parts, algebra)``; :meth:`from_parts` builds one from parts directly
    (what compositions, functors and generators do).
    """

    parts: OpenParts
    algebra: UWDAlgebra

    def __init__(self, parts: OpenParts, algebra: UWDAlgebra) -> None:
        self.parts = parts
        self.algebra = algebra
        self._program: Program | None = None
        # ``_images``, the kept images of functors (see :meth:`image`), is made on first use

    @classmethod
    def assembled(cls, parts: OpenParts, algebra: UWDAlgebra) -> Any:
        """An instance of this class holding ``parts`` in ``algebra``, without running the
        class's own constructor (which takes a user's function): what an algebra's
        ``assemble`` returns."""
        obj = cls.__new__(cls)
        Open.__init__(obj, parts, algebra)
        return obj

    @classmethod
    def algebra_of(cls, ring: Any = None) -> UWDAlgebra:
        """The algebra of this class over ``ring`` (default the reals)."""
        raise NotImplementedError(f"{cls.__name__} names no algebra")

    @classmethod
    def from_parts(cls, parts: OpenParts, ring: Any = None) -> Any:
        """An instance of this class with the given parts (over ``ring``, default the
        reals), without a user function."""
        return cls.algebra_of(ring).assemble(parts)

    def with_parts(self, **changes: Any) -> Any:
        """The same kind of thing with some parts replaced (e.g. ``ports=``, ``leaves=``)."""
        return self.algebra.assemble(self.parts.replace(**changes))

    @property
    def program(self) -> Program:
        """The compiled composite: leaves, gather index, offsets and kernels."""
        if self._program is None:
            self._program = Program.of(self.parts, self.algebra.ring)
        return self._program

    def image(self, key: str, build: Any) -> Any:
        """``build()``, computed once per object and kept under ``key``: the images of an
        open thing under a functor that depends on nothing else (``gradient_flow``), so
        that every ``solve`` of one problem shares one flow and its compiled program. Open
        things are immutable (``with_parts`` makes a new one), so the kept image stays valid;
        the image's leaves call the problem's own leaves, so data that a leaf reads at each
        call is read there too, and the data a program compiles once (the quadratic
        families') is kept read-only.
        """
        images = self.__dict__.setdefault("_images", {})  # on first use: most objects never
        if key not in images:
            images[key] = build()
        return images[key]

    def __getstate__(self) -> dict[str, Any]:
        # the compiled program and the images are caches: rebuilt where they are used (an
        # MPI rank builds its own share), not shipped
        return {k: v for k, v in self.__dict__.items() if k not in ("_program", "_images")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._program = None

    # -- the space ----------------------------------------------------------------------------
    @property
    def space(self) -> Space:
        return self.parts.space

    @property
    def name(self) -> str | None:
        return self.parts.name

    @property
    def n(self) -> int:
        """Number of scalar coordinates."""
        return self.parts.space.n

    @property
    def labels(self) -> tuple[str, ...]:
        """One label per scalar coordinate."""
        return self.parts.space.labels

    @property
    def ports(self) -> tuple[Any, ...]:
        """What each port exposes: a coordinate index in an integer space, else a variable name."""
        if self.space.integer:
            return self.parts.ports
        return tuple(self.space.names[v] for v in self.parts.ports)

    @property
    def port_shapes(self) -> tuple[Shape, ...]:
        """The shape of each port."""
        return tuple(self.space.shapes[v] for v in self.parts.ports)

    @property
    def port_variables(self) -> tuple[int, ...]:
        """The variable index each port exposes."""
        return self.parts.ports

    def pack(
        self, values: Mapping[str, Any] | Sequence[Any], *, fill: float | None = None
    ) -> np.ndarray:
        """A flat vector from named arrays; see :meth:`Space.pack`."""
        return self.space.pack(values, fill=fill)

    def unpack(self, x: Any) -> dict[str, np.ndarray]:
        """The named arrays of a flat vector."""
        return self.space.unpack(x)

    def check_state(self, x: Any, what: str = "state") -> np.ndarray:
        """``x`` as a flat float vector of length ``n``, or a StateError naming ``what``."""
        return self.space.check(x, f"{what} of {self.describe()}")

    def describe(self) -> str:
        kind = type(self).__name__
        return f"{kind} {self.name!r}" if self.name else kind

    # -- composite structure ------------------------------------------------------------------
    @property
    def is_composite(self) -> bool:
        return self.parts.gluing is not None

    @property
    def diagram(self) -> UWD | None:
        """The UWD this was composed along, or None for a leaf."""
        g = self.parts.gluing
        return None if g is None else g.diagram

    @property
    def gluing(self) -> Gluing | None:
        """The pushout data of the composition, or None for a leaf."""
        return self.parts.gluing

    @property
    def components(self) -> dict[str, Open]:
        """The fillers of the boxes, by (qualified) box name; empty for a leaf."""
        g = self.parts.gluing
        if g is None:
            return {}
        return dict(zip(g.box_names, self.parts.components, strict=True))

    @property
    def leaves(self) -> tuple[Any, ...]:
        """The leaves (compiled units), in order."""
        return self.parts.leaves

    @property
    def leaf_names(self) -> tuple[str, ...]:
        """The box path of each leaf (``"b.g"`` for box g inside box b)."""
        return self.parts.leaf_names

    @property
    def leaf_offsets(self) -> np.ndarray:
        """Where each leaf's block starts in the concatenated leaf coordinates (and the end)."""
        return self.program.offsets

    @property
    def gather_index(self) -> np.ndarray:
        """Index array: leaf coordinate ``s`` is coordinate ``gather_index[s]`` of this."""
        return self.parts.gather_index

    # the names of the first releases, kept: a *block* is a leaf
    blocks = leaves
    block_names = leaf_names
    block_offsets = leaf_offsets

    def __repr__(self) -> str:
        ports = ", ".join(map(str, self.ports))
        base = f"{type(self).__name__}(n={self.n}, ports=[{ports}]"
        if self.name:
            base += f", name={self.name!r}"
        g = self.parts.gluing
        if g is not None:
            base += f", boxes={len(g.box_names)}, leaves={len(self.parts.leaves)}"
        if not self.algebra.ring.exact:
            base += f", ring={self.algebra.ring.name}"
        return base + ")"
