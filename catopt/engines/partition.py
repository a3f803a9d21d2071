"""Partitioning leaves over K workers: few shared coordinates across workers, balanced cost.

The *leaf graph* has one node per leaf (weight: its cost) and an edge between two leaves
that read a common coordinate (weight: the number of scalar coordinates they share). A partition
``part: leaves -> {0..K-1}`` has

- *cut*: the number of scalar coordinates read by leaves of more than one worker (each such
  coordinate is reduced across workers every step), and
- *imbalance*: ``max_k load_k / mean_k load_k`` with ``load_k`` the cost of worker k's leaves.

Candidates come from networkx (recursive Kernighan-Lin bisection; Louvain communities packed
into K bins) and from contiguous chunks of the leaf order (boxes of one diagram are adjacent);
each is refined by single-leaf moves that lower the cut without exceeding the balance bound.
The winner is the candidate that uses all K workers, then exceeds the balance bound least, then
has the smallest cut (then the lowest imbalance).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from catopt.errors import EngineError
from catopt.validate import integer

if TYPE_CHECKING:
    import networkx as nx

_CLIQUE_MAX = 16  # readers of one coordinate joined pairwise in the leaf graph
_KL_MAX = 1000  # leaves: Kernighan-Lin (quadratic per pass) only below this
_REFINE_MAX = 2000  # leaves: single-leaf move refinement only below this

__all__ = ["leaf_graph", "cut_size", "imbalance", "partition_leaves", "coordinate_users",
           "block_graph", "partition_blocks"]


def coordinate_users(
    index: np.ndarray, offsets: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Unique (leaf, coordinate) pairs: for every leaf, the composite coordinates it reads.

    Returns ``(blk, coord)`` sorted by coordinate, then leaf.
    """
    sizes = np.diff(offsets)
    blk = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    key = np.unique(index.astype(np.int64) * max(sizes.size, 1) + blk)
    nb = max(sizes.size, 1)
    return key % nb, key // nb


def leaf_graph(index: np.ndarray, offsets: np.ndarray, n: int,
                costs: Sequence[float]) -> nx.Graph:
    """The leaf graph: nodes are leaves (``cost``), edges count shared scalar coordinates."""
    nb = len(offsets) - 1
    import networkx as nx  # imported when first used: it costs ~90 ms at start-up

    g = nx.Graph()
    for b in range(nb):
        g.add_node(b, cost=float(costs[b]))
    blk, coord = coordinate_users(index, offsets, n)
    starts = np.flatnonzero(np.r_[True, coord[1:] != coord[:-1]]) if coord.size else np.zeros(0)
    ends = np.r_[starts[1:], coord.size].astype(np.int64) if coord.size else np.zeros(0)
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        users = blk[s:e].tolist()
        if len(users) < 2:
            continue
        # a clique for a few readers; a path for many (a junction read by every one of 10^4
        # boxes would otherwise be 5 * 10^7 edges), which still ties them together
        pairs = ([(a, b) for i, a in enumerate(users) for b in users[i + 1 :]]
                 if len(users) <= _CLIQUE_MAX else list(zip(users[:-1], users[1:], strict=True)))
        for a, b in pairs:
            w = g.get_edge_data(a, b, {"weight": 0})["weight"]
            g.add_edge(a, b, weight=w + 1)
    return g


def cut_size(part: np.ndarray, index: np.ndarray, offsets: np.ndarray, n: int) -> int:
    """Number of scalar coordinates read by leaves on more than one worker."""
    blk, coord = coordinate_users(index, offsets, n)
    if coord.size == 0:
        return 0
    pairs = np.unique(coord * (int(part.max()) + 1) + part[blk])
    c = pairs // (int(part.max()) + 1)
    return int(np.count_nonzero(np.bincount(c) > 1))


def imbalance(part: np.ndarray, costs: np.ndarray, k: int) -> float:
    """``max load / mean load`` (1.0 is perfect balance)."""
    load = np.bincount(part, weights=costs, minlength=k)
    mean = load.sum() / k
    return float(load.max() / mean) if mean > 0 else 1.0


def _contiguous(costs: np.ndarray, k: int) -> np.ndarray:
    """Chunks of the leaf order with about equal cost."""
    nb = costs.size
    if nb <= k:
        return np.arange(nb, dtype=np.int64)
    cum = np.cumsum(costs) - costs / 2
    part = np.minimum((cum / costs.sum() * k).astype(np.int64), k - 1)
    # every worker gets at least one leaf when possible
    for w in range(k):
        if not np.any(part == w):
            part[w] = w
    return part


def _pack(groups: list[list[int]], costs: np.ndarray, k: int) -> np.ndarray:
    """Largest-first packing of groups of leaves into ``k`` bins of about equal cost."""
    part = np.zeros(costs.size, dtype=np.int64)
    load = np.zeros(k)
    for grp in sorted(groups, key=lambda gr: -float(costs[gr].sum())):
        w = int(np.argmin(load))
        part[grp] = w
        load[w] += float(costs[grp].sum())
    return part


def _kernighan_lin(g: nx.Graph, k: int, seed: int) -> np.ndarray:
    """Recursive Kernighan-Lin bisection into ``k`` parts (node counts split k1 : k2)."""
    from networkx.algorithms.community import kernighan_lin_bisection

    part = np.zeros(g.number_of_nodes(), dtype=np.int64)

    def split(nodes: list[int], k: int, first: int) -> None:
        if k == 1 or len(nodes) <= 1:
            part[nodes] = first
            return
        k1 = k // 2
        m = max(1, min(len(nodes) - 1, round(len(nodes) * k1 / k)))
        sub = g.subgraph(nodes)
        init = (set(nodes[:m]), set(nodes[m:]))
        if len(nodes) >= 2 and m == len(nodes) - m:
            a, b = kernighan_lin_bisection(
                sub, partition=init, weight="weight", seed=seed
            )
        else:  # KL keeps the sizes of its halves; start from the cost-split chunks
            a, b = init
        split(sorted(a), k1, first)
        split(sorted(b), k - k1, first + k1)

    split(list(range(g.number_of_nodes())), k, 0)
    return part


def _communities(g: nx.Graph, costs: np.ndarray, k: int, seed: int) -> np.ndarray:
    from networkx.algorithms.community import louvain_communities

    comms = louvain_communities(g, weight="weight", seed=seed)
    return _pack([sorted(c) for c in comms], costs, k)


def _refine(part: np.ndarray, g: nx.Graph, costs: np.ndarray, k: int, bound: float,
            index: np.ndarray, offsets: np.ndarray, n: int, rounds: int = 3) -> np.ndarray:
    """Greedy single-leaf moves that lower the cut and keep ``imbalance <= bound``."""
    part = part.copy()
    best = cut_size(part, index, offsets, n)
    for _ in range(rounds):
        moved = False
        for b in range(costs.size):
            here = int(part[b])
            if np.count_nonzero(part == here) == 1:
                continue
            targets = {int(part[nb]) for nb in g.neighbors(b)} - {here}
            for w in sorted(targets):
                part[b] = w
                if imbalance(part, costs, k) <= bound:
                    c = cut_size(part, index, offsets, n)
                    if c < best:
                        best, here, moved = c, w, True
                        continue
                part[b] = here
        if not moved:
            break
    return part


def partition_leaves(
    index: np.ndarray,
    offsets: np.ndarray,
    n: int,
    k: int,
    costs: Sequence[float] | None = None,
    *,
    method: str = "auto",
    balance: float = 1.25,
    seed: int = 0,
) -> np.ndarray:
    """Assign each leaf to one of ``k`` workers; returns ``part`` (one int per leaf).

    ``method``: ``"auto"`` (best of the candidates below), ``"kl"`` (recursive Kernighan-Lin),
    ``"community"`` (Louvain communities packed into k bins), ``"contiguous"`` (chunks of the
    leaf order), ``"round_robin"``. ``balance`` bounds ``max load / mean load`` for the
    refinement and the choice among candidates (exceeded only when no candidate meets it).
    """
    k = integer(k, "workers", minimum=1, error=EngineError, expected="a positive int")
    nb = len(offsets) - 1
    c = np.ones(nb) if costs is None else np.asarray(costs, dtype=float)
    if c.shape != (nb,) or not np.all(np.isfinite(c)) or np.any(c < 0):
        raise EngineError(f"leaf costs must be {nb} non-negative finite numbers, got {costs!r}")
    c = np.where(c > 0, c, 1e-12)
    if nb == 0:
        return np.zeros(0, dtype=np.int64)
    if k == 1:
        return np.zeros(nb, dtype=np.int64)
    methods = ("auto", "kl", "community", "contiguous", "round_robin")
    if method not in methods:
        raise EngineError(f"unknown partition method {method!r}; expected one of {methods}")
    if method == "round_robin":
        return np.arange(nb, dtype=np.int64) % k
    if nb <= k:
        return np.arange(nb, dtype=np.int64)
    g = leaf_graph(index, offsets, n, c)
    cands: dict[str, np.ndarray] = {}
    if method in ("auto", "contiguous"):
        cands["contiguous"] = _contiguous(c, k)
    if method == "kl" or (method == "auto" and nb <= _KL_MAX):
        cands["kl"] = _kernighan_lin(g, k, seed)
    if method in ("auto", "community"):
        cands["community"] = _communities(g, c, k, seed)
    scored = []
    for name, p in cands.items():
        bound = max(balance, imbalance(p, c, k))
        if nb <= _REFINE_MAX:
            p = _refine(p, g, c, k, bound, index, offsets, n)
        imb = imbalance(p, c, k)
        full = len(np.unique(p)) == k
        excess = round(max(0.0, imb - balance), 9)  # within the bound, the cut decides
        scored.append((not full, excess, cut_size(p, index, offsets, n), imb, name, p))
    scored.sort(key=lambda s: s[:5])
    return scored[0][5]


#: the first releases' names
block_graph = leaf_graph
partition_blocks = partition_leaves
