"""Decision spaces: finite sets of scalar coordinates grouped into named, shaped variables.

A space is flattened in variable order, each variable in C order. Labels: a scalar variable
is labelled by its name, an element of a shaped one ``name[i]`` (flat index).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.errors import ShapeError, SpaceError, StateError
from catopt.limits import check_limit
from catopt.validate import sequence
from catopt.wiring.uwd import Shape, normalize_shape

__all__ = ["Space", "resolve_ports"]


class Space:
    """An ordered tuple of named, shaped variables flattened into one vector.

    ``Space.integer(n)`` is the space of ``n`` scalars named ``"0"``, ``"1"``, ...;
    ``Space.named({"W0": (20, 8), "b": ()})`` a space of named arrays.
    """

    __slots__ = ("names", "shapes", "sizes", "offsets", "n", "integer", "_index", "_labels")

    def __init__(self, variables: Iterable[tuple[str, Shape]], *, integer: bool = False) -> None:
        names: list[str] = []
        shapes: list[Shape] = []
        for name, shape in variables:
            if not isinstance(name, str) or not name:
                raise SpaceError(f"variable names must be non-empty strings, got {name!r}")
            names.append(name)
            shapes.append(normalize_shape(shape, f"variable {name!r}"))
        if len(set(names)) != len(names):
            from collections import Counter

            dup = sorted(n for n, c in Counter(names).items() if c > 1)
            raise SpaceError(f"variable names must be distinct; repeated: {dup[:10]}")
        self.names: tuple[str, ...] = tuple(names)
        self.shapes: tuple[Shape, ...] = tuple(shapes)
        self.sizes = np.array([math.prod(s) for s in shapes], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.n = int(self.offsets[-1])
        check_limit("max_variables", self.n, "the decision space")
        self.integer = integer
        self._index = {name: i for i, name in enumerate(names)}
        self._labels: tuple[str, ...] | None = None
        if any(s != () for s in shapes) and any("[" in n for n in names):
            labels = self.labels  # a name like "a[0]" may be the label of an element of "a"
            if len(set(labels)) != len(labels):
                from collections import Counter

                dup = sorted(lab for lab, c in Counter(labels).items() if c > 1)
                raise SpaceError(f"coordinate labels collide: {dup[:10]} name both a variable "
                                 f"and an element of a shaped variable; rename the variable")

    @classmethod
    def integer_space(cls, n: int) -> Space:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise SpaceError(f"an integer space needs a non-negative int, got {n!r}")
        check_limit("max_variables", int(n), "the decision space")  # before n labels exist
        return cls(((str(i), ()) for i in range(int(n))), integer=True)

    @classmethod
    def from_spec(cls, space: Any) -> Space:
        """An int ``n``, a mapping ``{name: shape}``, or a Space."""
        if isinstance(space, Space):
            return space
        if isinstance(space, (int, np.integer)) and not isinstance(space, bool):
            return cls.integer_space(int(space))
        if isinstance(space, Mapping):
            return cls(space.items())
        raise SpaceError(
            f"a decision space is an int or a mapping from variable names to shapes, "
            f"got {type(space).__name__}"
        )

    # -- lookup ------------------------------------------------------------------------------
    def index(self, name: str) -> int:
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise SpaceError(
                f"unknown variable {name!r}; variables are {list(self.names)}"
            ) from None

    def slice(self, name_or_index: str | int) -> slice:
        i = name_or_index if isinstance(name_or_index, int) else self.index(name_or_index)
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    @property
    def labels(self) -> tuple[str, ...]:
        """One label per scalar coordinate."""
        if self._labels is None:
            out: list[str] = []
            for name, shape, size in zip(self.names, self.shapes, self.sizes, strict=True):
                if shape == ():
                    out.append(name)
                else:
                    out.extend(f"{name}[{i}]" for i in range(int(size)))
            self._labels = tuple(out)
        return self._labels

    def __len__(self) -> int:
        return len(self.names)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Space) and self.names == other.names and self.shapes == other.shapes
        )

    def __hash__(self) -> int:
        return hash((self.names, self.shapes))

    def __repr__(self) -> str:
        if self.integer:
            return f"Space({self.n})"
        inner = ", ".join(f"{n!r}: {s}" for n, s in zip(self.names, self.shapes, strict=True))
        return f"Space({{{inner}}})"

    # -- flat vectors <-> named arrays -------------------------------------------------------
    def check(self, x: Any, what: str = "state") -> np.ndarray:
        """``x`` as a float vector of length ``n``, or a StateError saying what was expected."""
        if np.iscomplexobj(x):
            raise StateError(f"{what} must be real, got complex numbers")
        try:
            arr = np.asarray(x, dtype=float)
        except (TypeError, ValueError) as e:
            raise StateError(f"{what} must be a vector of {self.n} numbers: {e}") from None
        if arr.ndim != 1 or arr.shape[0] != self.n:
            raise StateError(
                f"{what} has shape {arr.shape}, expected a flat vector of length {self.n}"
            )
        return arr

    def unpack(self, x: Any) -> dict[str, np.ndarray]:
        """The named arrays of a flat vector (copies)."""
        arr = self.check(x)
        return {
            name: arr[self.offsets[i] : self.offsets[i + 1]].reshape(shape).copy()
            for i, (name, shape) in enumerate(zip(self.names, self.shapes, strict=True))
        }

    def views(self, x: Any) -> list[Any]:
        """The variables of ``x`` as arrays shaped per variable (views; works on autograd
        boxes as well as on numpy arrays)."""
        out = []
        for i, shape in enumerate(self.shapes):
            a, b = int(self.offsets[i]), int(self.offsets[i + 1])
            out.append(x[a] if shape == () else x[a:b].reshape(shape))
        return out

    def pack(
        self, values: Mapping[str, Any] | Sequence[Any], *, fill: float | None = None
    ) -> np.ndarray:
        """A flat vector from named arrays (a mapping) or arrays in variable order.

        Variables missing from a mapping take ``fill``; without ``fill`` they are an error.
        """
        x = np.empty(self.n)
        if isinstance(values, Mapping):
            for k in values:
                if k not in self._index:
                    raise SpaceError(f"unknown variable {k!r}; variables are {list(self.names)}")
            items = []
            for name in self.names:
                if name in values:
                    items.append(values[name])
                elif fill is not None:
                    items.append(np.full(self.shapes[self._index[name]], fill))
                else:
                    raise SpaceError(f"no value given for variable {name!r}")
        else:
            items = sequence(values, "the values to pack", error=SpaceError,
                             expected="a mapping by variable name or arrays in variable order")
            if len(items) != len(self.names):
                raise SpaceError(
                    f"expected {len(self.names)} arrays in variable order {list(self.names)}, "
                    f"got {len(items)}"
                )
        for i, (name, v) in enumerate(zip(self.names, items, strict=True)):
            if np.iscomplexobj(v):
                raise SpaceError(f"variable {name!r} must be real, got complex numbers")
            try:
                arr = np.asarray(v, dtype=float)
            except (TypeError, ValueError, OverflowError) as e:
                raise SpaceError(f"variable {name!r} must be an array of numbers: {e}") from None
            shape = self.shapes[i]
            if arr.shape != shape:
                if arr.size == self.sizes[i] and arr.ndim <= 1 and len(shape) <= 1:
                    arr = arr.reshape(shape)
                else:
                    raise ShapeError(
                        f"variable {name!r} has shape {shape}, got an array of shape {arr.shape}"
                    )
            x[self.offsets[i] : self.offsets[i + 1]] = arr.ravel()
        return x


def resolve_ports(space: Space, ports: Any) -> tuple[int, ...]:
    """The variable index each port exposes: ``ports`` are coordinate indices in an integer
    space and variable names in a named space (None or ``()``: no ports; repeats allowed)."""
    if ports is None:
        return ()
    if isinstance(ports, (str, int, np.integer)):
        ports = [ports]
    ports = sequence(ports, "ports", error=SpaceError,
                     expected="a sequence of coordinate indices or variable names")
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
