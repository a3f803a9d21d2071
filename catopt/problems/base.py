"""What open problems and open systems share: a decision space, ports, and composition.

An open thing (problem or system) of size ``n`` is stored flat: a tuple of *blocks* (leaf
objectives or leaf dynamics, each on its own coordinates) and one gather index ``index``
mapping the concatenated block coordinates to the thing's own coordinates. A leaf has one
block and the identity index. Composing along a UWD composes the index arrays, so a composite
of composites of any depth is still one gather, one call per leaf block, and one scatter-add.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from catopt.errors import SpaceError
from catopt.wiring.gluing import Gluing
from catopt.wiring.space import Space
from catopt.wiring.uwd import UWD, Shape

__all__ = ["Open", "resolve_ports"]


def resolve_ports(space: Space, ports: Any) -> tuple[int, ...]:
    """Variable indices of ``ports``: ints in an integer space, names in a named space."""
    if ports is None:
        return ()
    if isinstance(ports, (str, int, np.integer)):
        ports = [ports]
    out: list[int] = []
    for k, p in enumerate(ports):
        if space.integer:
            if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
                raise SpaceError(
                    f"port {k} must be a coordinate index 0..{space.n - 1} of the integer space, "
                    f"got {p!r}"
                )
            if not 0 <= p < space.n:
                raise SpaceError(
                    f"port {k} is coordinate {p}, out of range for a space of size {space.n}"
                )
            out.append(int(p))
        else:
            if not isinstance(p, str):
                raise SpaceError(
                    f"port {k} must name a variable of the space {list(space.names)}, got {p!r}"
                )
            if p not in space.names:
                raise SpaceError(
                    f"port {k} names unknown variable {p!r}; variables are {list(space.names)}"
                )
            out.append(space.index(p))
    return tuple(out)


class Open:
    """Base of open problems and open systems (see the module docstring)."""

    _kind: ClassVar[str] = "open"

    space: Space
    name: str | None
    _port_vars: tuple[int, ...]
    _blocks: tuple[Any, ...]
    _block_names: tuple[str, ...]
    _block_offsets: np.ndarray
    _offsets_list: list[int]
    _index: np.ndarray | None
    _gluing: Gluing | None
    _components: tuple[Open, ...]

    def _setup(
        self,
        space: Space,
        port_vars: tuple[int, ...],
        name: str | None,
        blocks: Sequence[Any],
        block_names: Sequence[str],
        index: np.ndarray | None,
        gluing: Gluing | None = None,
        components: Sequence[Open] = (),
    ) -> None:
        self.space = space
        self.name = name
        self._port_vars = port_vars
        self._blocks = tuple(blocks)
        self._block_names = tuple(block_names)
        sizes = [b.size for b in self._blocks]
        self._block_offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(
            np.int64
        )
        self._offsets_list: list[int] = self._block_offsets.tolist()  # for the per-step loops
        self._index = index
        self._gluing = gluing
        self._components = tuple(components)

    # -- the space ----------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of scalar coordinates."""
        return self.space.n

    @property
    def labels(self) -> tuple[str, ...]:
        """One label per scalar coordinate."""
        return self.space.labels

    @property
    def ports(self) -> tuple[Any, ...]:
        """What each port exposes: a coordinate index in an integer space, else a variable name."""
        if self.space.integer:
            return self._port_vars
        return tuple(self.space.names[v] for v in self._port_vars)

    @property
    def port_shapes(self) -> tuple[Shape, ...]:
        """The shape of each port."""
        return tuple(self.space.shapes[v] for v in self._port_vars)

    @property
    def port_variables(self) -> tuple[int, ...]:
        """The variable index each port exposes."""
        return self._port_vars

    def pack(
        self, values: Mapping[str, Any] | Sequence[Any], *, fill: float | None = None
    ) -> np.ndarray:
        """A flat vector from named arrays; see :meth:`Space.pack`."""
        return self.space.pack(values, fill=fill)

    def unpack(self, x: Any) -> dict[str, np.ndarray]:
        """The named arrays of a flat vector."""
        return self.space.unpack(x)

    # -- composite structure ------------------------------------------------------------------
    @property
    def is_composite(self) -> bool:
        return self._gluing is not None

    @property
    def diagram(self) -> UWD | None:
        """The UWD this was composed along, or None for a leaf."""
        return None if self._gluing is None else self._gluing.diagram

    @property
    def gluing(self) -> Gluing | None:
        """The pushout data of the composition, or None for a leaf."""
        return self._gluing

    @property
    def components(self) -> dict[str, Open]:
        """The fillers of the boxes, by (qualified) box name; empty for a leaf."""
        if self._gluing is None:
            return {}
        return dict(zip(self._gluing.box_names, self._components, strict=True))

    @property
    def blocks(self) -> tuple[Any, ...]:
        """The leaf blocks, in order."""
        return self._blocks

    @property
    def block_names(self) -> tuple[str, ...]:
        """The box path of each leaf block (``"b.g"`` for box g inside box b)."""
        return self._block_names

    @property
    def block_offsets(self) -> np.ndarray:
        return self._block_offsets

    @property
    def gather_index(self) -> np.ndarray:
        """Index array: block coordinate ``s`` is coordinate ``gather_index[s]`` of this."""
        if self._index is None:
            return np.arange(self.n, dtype=np.int64)
        return self._index

    def _check(self, x: Any, what: str = "state") -> np.ndarray:
        label = f"{what} of {self._describe()}"
        return self.space.check(x, label)

    def _describe(self) -> str:
        kind = type(self).__name__
        return f"{kind} {self.name!r}" if self.name else kind

    def _structure_repr(self) -> str:
        ports = ", ".join(map(str, self.ports))
        base = f"{type(self).__name__}(n={self.n}, ports=[{ports}]"
        if self.name:
            base += f", name={self.name!r}"
        if self._gluing is not None:
            base += f", boxes={len(self._gluing.box_names)}, leaves={len(self._blocks)}"
        return base + ")"

    def __repr__(self) -> str:
        return self._structure_repr()

    # -- construction from parts (composition, the functor, generators) ---------------------
    @classmethod
    def _from_parts(
        cls,
        space: Space,
        port_vars: tuple[int, ...],
        blocks: Sequence[Any],
        block_names: Sequence[str],
        index: np.ndarray | None,
        *,
        name: str | None = None,
        gluing: Gluing | None = None,
        components: Sequence[Open] = (),
    ) -> Any:
        """An instance of ``cls`` from its flat structure, without a user function."""
        obj = cls.__new__(cls)
        obj._setup(space, port_vars, name, blocks, block_names, index, gluing, components)
        return obj

    @classmethod
    def _from_composition(
        cls,
        gluing: Gluing,
        components: Sequence[Open],
        blocks: Sequence[Any],
        block_names: Sequence[str],
        index: np.ndarray,
    ) -> Any:
        """The composite along ``gluing``: its space is the pushout, its ports the outer
        ports."""
        return cls._from_parts(gluing.space, gluing.outer, blocks, block_names, index,
                               gluing=gluing, components=components)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter display: the composite's drawing (the one upward hook into interfaces)."""
        from catopt.interfaces.draw import mimebundle

        return mimebundle(self)
