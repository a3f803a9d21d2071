"""The pushout that composition by variable sharing computes.

Given a UWD ``d`` and, for each box, a decision space ``S_b`` with a portmap
``m_b: P_b -> variables(S_b)``, the composite space is the pushout of
``sum_b S_b <- sum_b P_b -> J``: every variable wired to one junction becomes one variable.
Coordinates: the junction variables first (a class of junctions glued together by a
non-injective portmap is named after its first junction), then each box's unexposed variables,
box by box, named ``box.name``.

The result is a single index array ``phi``: coordinate ``s`` of the concatenated box spaces
is composite coordinate ``phi[s]``. The pullback ``phi^* y = y[phi]`` copies shared values
to every box; its transpose ``phi_*`` sums copies (``np.bincount(phi, weights, n)``), in the
coefficient ring of the algebra (mod 2 over Z2). :func:`pullback` and :func:`pushforward`
are the only gather and scatter kernels of catopt: every evaluation of a composite, on every
engine, goes through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from catopt.algebra.finset import Space
from catopt.algebra.ring import REAL, Ring
from catopt.errors import CompositionError, ShapeError
from catopt.wiring.quotient import quotient
from catopt.wiring.uwd import UWD

__all__ = ["Gluing", "glue", "pullback", "pushforward"]


def pullback(index: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``phi^* y``: copy each composite coordinate to every box coordinate reading it,
    ``(phi^* y)[s] = y[index[s]]``."""
    return y[index]


def pushforward(index: np.ndarray, v: np.ndarray, n: int, ring: Ring = REAL) -> np.ndarray:
    """``phi_* v``: sum the box coordinates' contributions into the ``n`` composite
    coordinates, ``(phi_* v)[c] = sum_{s : index[s] = c} v[s]`` (reduced in ``ring``)."""
    out = np.bincount(index, weights=v, minlength=n)
    return out if ring.exact else ring.reduce(out)


@dataclass(frozen=True)
class Gluing:
    """The pushout of a UWD with its boxes' spaces (see the module docstring)."""

    diagram: UWD
    space: Space
    index: np.ndarray
    box_offsets: np.ndarray
    outer: tuple[int, ...]
    junction_variable: np.ndarray
    box_names: tuple[str, ...]

    def box_index(self, b: int) -> np.ndarray:
        """The composite coordinate of each coordinate of box ``b``."""
        return self.index[self.box_offsets[b] : self.box_offsets[b + 1]]

    def pullback(self, y: np.ndarray) -> np.ndarray:
        """``phi^* y``: the boxes' copies of the composite state."""
        return pullback(self.index, y)

    def pushforward(self, v: np.ndarray, ring: Ring = REAL) -> np.ndarray:
        """``phi_* v``: sum the boxes' contributions into the composite coordinates."""
        return pushforward(self.index, v, self.space.n, ring)


def glue(
    d: UWD,
    spaces: Sequence[Space],
    portmaps: Sequence[Sequence[int]],
    port_names: Sequence[Sequence[str]] | None = None,
) -> Gluing:
    """Compute the pushout of ``d`` with box spaces ``spaces`` and portmaps ``portmaps``.

    ``portmaps[b][p]`` is the index (in ``spaces[b]``) of the variable that port ``p`` of box
    ``b`` exposes. Port counts and shapes are checked against the diagram.
    """
    nb = d.n_boxes
    if len(spaces) != nb or len(portmaps) != nb:
        raise CompositionError(f"the diagram has {nb} boxes, got {len(spaces)} fillers")
    qual = d.qualified_boxes()
    jshapes = d.junction_shapes
    nj = len(jshapes)
    # nodes of the quotient: junctions, then every variable of every box
    var_offsets = np.concatenate([[0], np.cumsum([len(s) for s in spaces])]).astype(np.int64)
    pairs: list[tuple[int, int]] = []
    exposed: list[set[int]] = []
    for b, (space, pm, ports) in enumerate(zip(spaces, portmaps, d.box_port_indices, strict=True)):
        if len(pm) != len(ports):
            raise CompositionError(
                f"box {qual[b]!r} has {len(ports)} ports in the diagram "
                f"({', '.join(d.junctions[j] for j in ports) or 'none'}) but its filler "
                f"exposes {len(pm)}"
            )
        for p, (v, j) in enumerate(zip(pm, ports, strict=True)):
            if space.shapes[v] != jshapes[j]:
                pname = port_names[b][p] if port_names is not None else space.names[v]
                raise ShapeError(
                    f"port {p} of box {qual[b]!r} ({pname!r}) has shape {space.shapes[v]} but "
                    f"it is wired to junction {d.junctions[j]!r} of shape {jshapes[j]}"
                )
            pairs.append((j, nj + int(var_offsets[b]) + v))
        exposed.append(set(pm))

    rep = quotient(nj + int(var_offsets[-1]), pairs)
    # composite variables: junction classes (first junction names the class), then private
    reps: dict[int, int] = {}
    names: list[tuple[str, tuple[int, ...]]] = []
    junction_variable = np.empty(nj, dtype=np.int64)
    for j in range(nj):
        r = int(rep[j])
        if r not in reps:
            reps[r] = len(names)
            names.append((d.junctions[j], jshapes[j]))
        junction_variable[j] = reps[r]
    private_var: list[list[int]] = []
    for b, space in enumerate(spaces):
        row = []
        for v, (vname, shape) in enumerate(zip(space.names, space.shapes, strict=True)):
            if v in exposed[b]:
                row.append(-1)
            else:
                row.append(len(names))
                names.append((f"{qual[b]}.{vname}", shape))
        private_var.append(row)
    if len({n for n, _ in names}) != len(names):
        taken = {d.junctions[j]: j for j in range(nj)}
        for b, space in enumerate(spaces):
            for v, vname in enumerate(space.names):
                full = f"{qual[b]}.{vname}"
                if private_var[b][v] >= 0 and full in taken:
                    raise CompositionError(
                        f"junction {full!r} has the name that box {qual[b]!r}'s private "
                        f"variable {vname!r} takes in the composite ({full!r}); rename the "
                        f"junction or the variable")
    composite = Space(names)

    # coordinate-level index: one arange per variable (built once, at composition time)
    pieces: list[np.ndarray] = []
    box_offsets = [0]
    for b, space in enumerate(spaces):
        for v in range(len(space)):
            cv = private_var[b][v]
            if cv < 0:
                # an exposed variable's class holds a junction, and its representative is
                # the smallest junction of the class
                cv = int(junction_variable[rep[nj + int(var_offsets[b]) + v]])
            start = int(composite.offsets[cv])
            pieces.append(np.arange(start, start + int(space.sizes[v]), dtype=np.int64))
        box_offsets.append(box_offsets[-1] + space.n)
    index = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    outer = tuple(int(junction_variable[j]) for j in d.outer_indices)
    return Gluing(
        diagram=d,
        space=composite,
        index=index,
        box_offsets=np.asarray(box_offsets, dtype=np.int64),
        outer=outer,
        junction_variable=junction_variable,
        box_names=qual,
    )
