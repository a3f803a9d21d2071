"""The proximal network of a flow network, and the check that its linear program is bounded.

For a step ``t > 0`` and a centre ``z`` (one value per edge), the proximal network of
``N = (A, b, c, l, h)`` has the same nodes, edges, ports, supplies and capacities, and the
edge costs

    c_e(x) + (x - z_e)^2 / (2 t),

so its minimum-cost flow is the proximal point ``prox_{t F}(z)`` of ``F(x) = sum_e c_e(x_e)``
restricted to the flows ``A x = b``, ``l <= x <= h``. The proximal term is a sum over edges and
edges are private to the leaf that holds them, so ``proximal_network`` acts leaf by leaf on the
leaf's slice of ``z``: it is natural,

    proximal_network(compose(d, nets), t, z) == compose(d, [proximal_network(n_i, t, z_i)]),

with ``z_i`` the block of ``z`` on the edges of ``n_i`` (leaves are in box order). Quadratic and
linear costs ``a x^2 + beta x + gamma`` stay quadratic with ``a + 1/(2t) > 0``, so every edge
of the proximal network has the closed-form clipped minimizer; a general cost ``cost``/``dcost``
gains the term and its derivative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.errors import NetworkError
from catopt.problems.flows import FlowLeaf, OpenFlowNetwork
from catopt.validate import number

__all__ = ["proximal_network", "check_bounded", "negative_cycle"]


def _proximal_leaf(leaf: FlowLeaf, t: float, z: np.ndarray) -> FlowLeaf:
    """The leaf with costs ``c_e(x) + (x - z_e)^2 / (2t)`` (the same edges and data)."""
    if leaf.cost is None:
        return FlowLeaf(leaf.size, leaf.src, leaf.tgt, leaf.a + 0.5 / t, leaf.beta - z / t,
                        leaf.gamma + z * z * (0.5 / t), leaf.lower, leaf.upper, leaf.supply,
                        leaf.edge_names)
    cost, dcost = leaf.cost, leaf.dcost
    assert dcost is not None

    def pcost(x: np.ndarray, e: np.ndarray) -> Any:
        return np.asarray(cost(x, e), dtype=float) + (x - z[e]) ** 2 * (0.5 / t)

    def pdcost(x: np.ndarray, e: np.ndarray) -> Any:
        return np.asarray(dcost(x, e), dtype=float) + (x - z[e]) / t

    return FlowLeaf(leaf.size, leaf.src, leaf.tgt, leaf.a, leaf.beta, leaf.gamma, leaf.lower,
                    leaf.upper, leaf.supply, leaf.edge_names, pcost, pdcost)


def proximal_network(net: OpenFlowNetwork, t: Any, centre: Any) -> OpenFlowNetwork:
    """The proximal network of ``net`` at ``centre`` with step ``t`` (see the module doc).

    Parameters
    ----------
    net
        A (composite) flow network.
    t
        The proximal step, a positive number.
    centre
        One value per edge, leaves in order (as :func:`~catopt.recover_flows` returns flows).

    Returns
    -------
    OpenFlowNetwork
        The same network (space, ports, gluing, components) with every edge cost
        ``c_e(x) + (x - centre_e)^2 / (2 t)``.
    """
    if not isinstance(net, OpenFlowNetwork):
        raise NetworkError(f"proximal_network takes an OpenFlowNetwork, got "
                           f"{type(net).__name__}")
    tv = number(t, "t (the proximal step)", positive=True)
    z = net.edge_vector(centre, "centre")
    if not np.isfinite(z).all():
        bad = int(np.argmin(np.isfinite(z)))
        raise NetworkError(f"centre has a non-finite entry at edge {bad}")
    return _proximal(net, tv, z)


def _proximal(net: OpenFlowNetwork, t: float, z: np.ndarray) -> OpenFlowNetwork:
    offs = net.edge_offsets
    leaves = tuple(_proximal_leaf(leaf, t, z[offs[k]:offs[k + 1]])
                   for k, leaf in enumerate(net.leaves))
    comps = []
    start = 0
    for c in net.parts.components:
        comps.append(_proximal(c, t, z[start:start + c.n_edges]))
        start += c.n_edges
    return net.with_parts(leaves=leaves, components=tuple(comps))


def check_bounded(net: OpenFlowNetwork) -> None:
    """Raise a :class:`~catopt.errors.NetworkError` naming a cycle along which the network's
    cost decreases without bound.

    A ray ``x + s d`` (``s -> inf``) of flows stays feasible when ``d`` is a circulation
    (``A d = 0``) with ``d_e >= 0`` only where ``h_e = inf`` and ``d_e <= 0`` only where
    ``l_e = -inf``; the cost falls along it without bound exactly when ``d`` uses linear edges
    only (``a_e = 0``) and ``beta' d < 0``. Circulations are sums of cycles, so this happens
    iff the graph with an arc ``u -> v`` of cost ``beta_e`` for every linear edge
    ``e = (u, v)`` without upper capacity, and an arc ``v -> u`` of cost ``-beta_e`` for every
    linear edge without lower capacity, has a negative cycle (:func:`negative_cycle`,
    Bellman-Ford). General ``cost=`` edges are assumed coercive and left out.
    """
    if not net.leaves:
        return
    src, tgt = net.edges()
    general = np.repeat(np.array([leaf.cost is not None for leaf in net.leaves], dtype=bool),
                        np.diff(net.edge_offsets))
    beta, lo, hi = net.edge_data("beta"), net.edge_data("lower"), net.edge_data("upper")
    lin = (net.edge_data("a") == 0) & ~general
    names = [f"{q}:{e}" if net.is_composite else e
             for q, leaf in zip(net.leaf_names, net.leaves, strict=True) for e in leaf.edge_names]
    fwd = np.flatnonzero(lin & ~np.isfinite(hi))
    bwd = np.flatnonzero(lin & ~np.isfinite(lo))
    u = np.concatenate([src[fwd], tgt[bwd]])
    v = np.concatenate([tgt[fwd], src[bwd]])
    w = np.concatenate([beta[fwd], -beta[bwd]])
    edge = np.concatenate([fwd, bwd])
    cycle = negative_cycle(net.n, u, v, w)
    if cycle is not None:
        raise NetworkError(_unbounded_message([names[int(edge[k])] for k in cycle],
                                              float(w[cycle].sum())))


def negative_cycle(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """The arcs (indices into ``u, v, w``) of a cycle of negative total weight in the graph of
    arcs ``u_k -> v_k`` of weight ``w_k`` on nodes ``0..n-1``, or None: Bellman-Ford from a
    virtual root joined to every node at weight 0, vectorized over the arcs (``n`` rounds at
    most). A round that still improves a distance (by more than a rounding margin) after ``n``
    rounds proves a negative cycle; following the predecessor arcs from an improved node ``n``
    times enters one."""
    if len(u) == 0:
        return None
    eps = 1e-12 * (1.0 + float(np.abs(w).sum()))
    dist = np.zeros(n)
    pred = np.full(n, -1, dtype=np.int64)
    arcs = np.arange(len(u))
    improved = np.zeros(n, dtype=bool)
    for _ in range(n + 1):
        cand = dist[u] + w
        best = dist.copy()
        np.minimum.at(best, v, cand)
        improved = best < dist - eps
        if not improved.any():
            return None
        sel = improved[v] & (cand <= best[v])
        pred[v[sel]] = arcs[sel]
        dist = np.where(improved, best, dist)
    x = int(np.flatnonzero(improved)[0])
    for _ in range(n):
        x = int(u[pred[x]])
    cycle = [int(pred[x])]
    y = int(u[pred[x]])
    while y != x:
        cycle.append(int(pred[y]))
        y = int(u[pred[y]])
    return np.asarray(cycle[::-1], dtype=np.int64)


def _unbounded_message(edges: list[str], total: float) -> str:
    return (f"the minimum-cost flow is unbounded below: edges {edges} form a cycle of linear "
            f"cost {total:.6g} per unit with no capacity in its direction; give one of them a "
            "capacity or a quadratic term")
