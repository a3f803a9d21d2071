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
    rep = np.arange(n, dtype=np.int64)
    P = np.array([(int(a), int(b)) for a, b in pairs], dtype=np.int64).reshape(-1, 2)
    if not len(P):
        return rep
    return _hook_and_compress(rep, P[:, 0], P[:, 1])


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
