"""The quotient of a finite set by the equivalence relation that pairs generate.

Every identification in catopt is one: the pushout that glues boxes' variables at junctions,
operadic substitution merging junctions, a morphism expression compiled to one diagram.
``quotient(n, pairs)[a]`` is the smallest element of the class of ``a`` in ``{0, ..., n-1}``,
so the first element in order names its class. Computed by a vectorized union-find
(hooking and pointer jumping in numpy), with networkx's union-find as a fallback.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from catopt.errors import DiagramError
from catopt.validate import integer

__all__ = ["quotient"]


def quotient(n: int, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """The representative (smallest member) of each element's class under ``pairs``.

    Parameters
    ----------
    n
        The size of the finite set ``{0, ..., n-1}``.
    pairs
        Pairs ``(a, b)`` to identify; the classes are those of the smallest equivalence
        relation containing them (the coequalizer of the two projections).

    Returns
    -------
    numpy.ndarray
        ``rep`` of shape ``(n,)`` with ``rep[a] == rep[b]`` exactly when ``a ~ b``, and
        ``rep[a] = min {c : c ~ a}``.

    Examples
    --------
    >>> quotient(5, [(3, 1), (1, 4)]).tolist()
    [0, 1, 2, 1, 1]
    """
    n = integer(n, "n (the size of the set)", minimum=0, error=DiagramError)
    rep = np.arange(n, dtype=np.int64)
    P = _pairs(n, pairs)
    if not len(P):
        return rep
    return _hook_and_compress(rep, P[:, 0], P[:, 1])


def _pairs(n: int, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """``pairs`` as an ``(m, 2)`` int64 array, checked at once in numpy: integers (integral
    floats allowed) within ``[0, n)``; else a :class:`~catopt.errors.DiagramError` naming the
    first offending pair (negative indices would wrap around, floats be truncated)."""
    items = pairs if isinstance(pairs, np.ndarray) else list(pairs)
    if len(items) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    want = f"pairs must be pairs (a, b) of ints in [0, {n})"
    try:
        P = np.asarray(items)
    except (TypeError, ValueError):
        P = np.zeros(0)  # ragged: found below
    if P.ndim != 2 or P.shape[1] != 2 or P.dtype.kind not in "iuf":
        bad = next((k for k, p in enumerate(items) if not _is_int_pair(p)), 0)
        raise DiagramError(f"{want}; pair {bad} is {items[bad]!r}"[:300])
    ok = (P >= 0) & (P < n)
    if P.dtype.kind == "f":
        ok &= P == np.floor(P)
    if not ok.all():
        bad = int(np.flatnonzero(~ok.all(axis=1))[0])
        shown = tuple(P[bad].tolist()) if isinstance(items, np.ndarray) else tuple(items[bad])
        raise DiagramError(f"{want}; pair {bad} is {shown!r}"[:300])
    return P.astype(np.int64, copy=False)


def _is_int_pair(p: object) -> bool:
    """Whether ``p`` is a pair of integers (bools refused): used on the error path only."""
    try:
        a, b = p  # type: ignore[misc]
    except (TypeError, ValueError):
        return False
    return all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
               for v in (a, b))


#: rounds of hooking after which :func:`quotient` hands over to a union-find (never reached on
#: the diagrams measured: every round hooks each unmerged pair's larger root)
MAX_ROUNDS = 64


def _hook_and_compress(rep: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Vectorized union-find: each round hooks, for every pair whose classes differ, the larger
    of its two roots under the smaller (``np.minimum.at``), then compresses ``rep`` by pointer
    jumping (``rep <- rep[rep]``) until every element points at its root. Invariants: ``rep[x]
    <= x`` and ``rep[x] ~ x``; roots only decrease, so when no pair is left unmerged each root
    is the smallest member of its class."""
    for _ in range(MAX_ROUNDS):
        ra, rb = rep[a], rep[b]
        open_ = ra != rb
        if not open_.any():
            return rep
        a, b, ra, rb = a[open_], b[open_], ra[open_], rb[open_]
        np.minimum.at(rep, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:
            nxt = rep[rep]
            if np.array_equal(nxt, rep):
                break
            rep = nxt
    return _union_find(rep, a, b)


def _union_find(rep: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """networkx's union-find over the current classes and the pairs still to merge."""
    from networkx.utils import UnionFind  # lazily: networkx costs ~90 ms at start-up

    uf = UnionFind()
    for x, r in enumerate(rep.tolist()):
        if x != r:
            uf.union(x, r)
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        uf.union(x, y)
    out = np.arange(len(rep), dtype=np.int64)
    for group in uf.to_sets():
        members = np.fromiter(group, dtype=np.int64, count=len(group))
        out[members] = members.min()
    return out
