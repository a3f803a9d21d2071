"""A builder for diagrams made in loops."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catopt.errors import DiagramError
from catopt.validate import sequence
from catopt.wiring.uwd import UWD, check_name, normalize_shape

__all__ = ["UWDBuilder"]


class UWDBuilder:
    """Build a :class:`UWD` step by step.

    >>> b = UWDBuilder()
    >>> b.junction("W0", shape=(4, 2))
    'W0'
    >>> for i in range(3):
    ...     _ = b.box(f"task{i}", ["W0", b.junction(f"W{i + 1}")])
    >>> b.outer("W0")
    >>> b.build().boxes
    ('task0', 'task1', 'task2')

    Junctions named by a box or an outer port before being declared are created as scalars.
    """

    def __init__(self) -> None:
        self._junctions: dict[str, Any] = {}
        self._boxes: list[tuple[str, list[str]]] = []
        self._outer: list[str] = []

    def junction(self, name: str, shape: Any = ()) -> str:
        """Declare junction ``name`` with ``shape`` (redeclaring with another shape is an error)."""
        s = normalize_shape(shape, f"junction {name!r}")
        old = self._junctions.get(name)
        if old is not None and old != s and old != ():
            raise DiagramError(f"junction {name!r} declared with shapes {old} and {s}")
        self._junctions[name] = s
        return name

    def box(self, name: str, junctions: Sequence[str]) -> int:
        """Add a box whose ports are wired to ``junctions``; returns its index."""
        if isinstance(junctions, str):
            raise DiagramError(
                f"ports of box {name!r} must be a sequence of junction names, got {junctions!r}"
            )
        junctions = sequence(junctions, f"ports of box {name!r}", error=DiagramError,
                             expected="a sequence of junction names")
        check_name(name, "box name")
        for p, j in enumerate(junctions):
            check_name(j, f"junction of port {p} of box {name!r}")
            self._junctions.setdefault(j, ())
        self._boxes.append((name, list(junctions)))
        return len(self._boxes) - 1

    def outer(self, *junctions: str) -> None:
        """Add outer ports wired to ``junctions``, in order."""
        for o, j in enumerate(junctions):
            check_name(j, f"junction of outer port {len(self._outer) + o}")
            self._junctions.setdefault(j, ())
            self._outer.append(j)

    def build(self) -> UWD:
        """The diagram: junctions in declaration order (outer ports' junctions first)."""
        order: dict[str, None] = dict.fromkeys(self._outer)
        order.update(dict.fromkeys(self._junctions))
        return UWD(
            self._boxes,
            self._outer,
            junctions=list(order),
            shapes={j: s for j, s in self._junctions.items() if s != ()},
        )
