"""Equality of open things up to a relabelling of coordinates.

Two composites built differently (``(F >> G) >> H`` and ``F >> (G >> H)``, or an operator
expression and its compiled UWD) have the same coordinates in another order and under other
labels. :func:`match_coordinates` finds the bijection through the structure (leaves and
ports); :func:`assert_equivalent` then compares the two numerically at random points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.errors import CatoptError
from catopt.program.open import Open
from catopt.program.program import Program

__all__ = ["match_coordinates", "assert_equivalent", "equivalent", "NotEquivalent"]


class NotEquivalent(CatoptError):
    """Two open things that are not equal up to relabelling; the message says why."""


def _leaf_pairs(a: Program, b: Program) -> list[tuple[int, int]]:
    """Pair the leaves of ``a`` and ``b``: by identity (k-th occurrence of one object with
    its k-th occurrence), or else in order."""
    ids_a = [id(x) for x in a.leaves]
    ids_b = [id(x) for x in b.leaves]
    if sorted(ids_a) == sorted(ids_b):
        seen: dict[int, list[int]] = {}
        for j, key in enumerate(ids_b):
            seen.setdefault(key, []).append(j)
        return [(i, seen[key].pop(0)) for i, key in enumerate(ids_a)]
    if len(a.leaves) != len(b.leaves):
        raise NotEquivalent(f"{len(a.leaves)} leaves against {len(b.leaves)}")
    return list(zip(range(len(a.leaves)), range(len(b.leaves)), strict=True))


def match_coordinates(a: Open, b: Open) -> np.ndarray:
    """The permutation ``perm`` with ``b``'s coordinate ``j`` corresponding to ``a``'s
    coordinate ``perm[j]``, found through leaves and ports; NotEquivalent if the
    structures differ."""
    if a.algebra != b.algebra:
        raise NotEquivalent(f"a {type(a).__name__} ({a.algebra.describe()}) against a "
                            f"{type(b).__name__} ({b.algebra.describe()})")
    if a.n != b.n:
        raise NotEquivalent(f"{a.n} coordinates against {b.n}")
    if a.port_shapes != b.port_shapes:
        raise NotEquivalent(f"port shapes {a.port_shapes} against {b.port_shapes}")
    perm = np.full(b.n, -1, dtype=np.int64)
    taken = np.zeros(a.n, dtype=bool)

    def link(ja: np.ndarray, jb: np.ndarray, what: str) -> None:
        for xa, xb in zip(ja.tolist(), jb.tolist(), strict=True):
            if perm[xb] == -1 and not taken[xa]:
                perm[xb] = xa
                taken[xa] = True
            elif perm[xb] != xa:
                raise NotEquivalent(f"{what} identifies coordinates differently")

    pa, pb = a.program, b.program
    ga, gb = pa.gather_index, pb.gather_index
    for i, j in _leaf_pairs(pa, pb):
        if pa.leaves[i].size != pb.leaves[j].size:
            raise NotEquivalent(f"leaf {i} has size {pa.leaves[i].size} against "
                                f"{pb.leaves[j].size}")
        link(ga[pa.leaf_slice(i)], gb[pb.leaf_slice(j)], f"leaf {i}")
    for k, (va, vb) in enumerate(zip(a.port_variables, b.port_variables, strict=True)):
        link(np.arange(a.space.offsets[va], a.space.offsets[va + 1]),
             np.arange(b.space.offsets[vb], b.space.offsets[vb + 1]), f"port {k}")
    free_b = np.where(perm == -1)[0]
    free_a = np.where(~taken)[0]
    if len(free_a) != len(free_b):
        raise NotEquivalent("the coordinates outside leaves and ports do not match up")
    perm[free_b] = free_a  # variables with no objective and no port: interchangeable
    return perm


def _evaluate(thing: Open, y: np.ndarray) -> tuple[Any, ...]:
    kind = thing.algebra.name
    if kind == "problem":
        v, g = thing.value_and_grad(y)  # type: ignore[attr-defined]
        return (np.array([v]), g)
    if kind == "continuous":
        return (thing.vector_field(y),)  # type: ignore[attr-defined]
    return (thing.update(y, 0), thing.update(y, 3))  # type: ignore[attr-defined]


def assert_equivalent(a: Any, b: Any, *, trials: int = 3, seed: int = 0,
                      rtol: float = 1e-10, atol: float = 1e-10) -> np.ndarray:
    """Check that ``a`` and ``b`` (open things or morphisms) are equal up to relabelling:
    same structure, and equal objectives and gradients (vector fields, updates) at random
    points. Returns the permutation; raises :class:`NotEquivalent` otherwise."""
    from catopt.category.morphism import Morphism

    if isinstance(a, Morphism) or isinstance(b, Morphism):
        if not (isinstance(a, Morphism) and isinstance(b, Morphism)):
            raise NotEquivalent("a morphism against an open thing")
        if (a.dom, a.cod) != (b.dom, b.cod):
            raise NotEquivalent(f"types {a.dom} -> {a.cod} against {b.dom} -> {b.cod}")
        a, b = a.thing, b.thing
    perm = match_coordinates(a, b)
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        ya = rng.standard_normal(a.n)
        yb = ya[perm]
        for k, (ea, eb) in enumerate(zip(_evaluate(a, ya), _evaluate(b, yb), strict=True)):
            ea = ea if ea.size == 1 else ea[perm]
            if not np.allclose(ea, eb, rtol=rtol, atol=atol):
                what = {"problem": ("objective", "gradient"), "continuous": ("vector field",),
                        "discrete": ("update at t=0", "update at t=3")}[a.algebra.name][k]
                raise NotEquivalent(
                    f"{what} differs by {np.max(np.abs(ea - eb)):.3g} at a random point"
                )
    return perm


def equivalent(a: Any, b: Any, **kw: Any) -> bool:
    """Whether :func:`assert_equivalent` holds."""
    try:
        assert_equivalent(a, b, **kw)
    except NotEquivalent:
        return False
    return True
