"""Open flow networks, a UWD-algebra glued at nodes, and ``to_problem``, their Lagrangian.

An open flow network has nodes (some exposed as ports), directed edges ``e = (u, v)`` each
with a convex cost ``c_e`` and optional capacity bounds ``l_e <= x_e <= h_e``, and node
supplies ``b`` (positive: the node injects flow; negative: it absorbs it). Its minimum-cost
flow problem is

    minimize sum_e c_e(x_e)  subject to  A x = b,  l <= x <= h,

with the node-edge incidence matrix ``A[u, e] = +1``, ``A[v, e] = -1`` for ``e = (u, v)``
(the convention of AlgebraicOptimization.jl at the paper's time: ``(A x)_v`` is the net
outflow of ``v``; a self-loop is a zero column).

Composing networks along a UWD (the generic composition of :mod:`catopt.algebra.protocol`)
merges the nodes wired to one junction: every edge keeps its cost and bounds and its ends are
carried along the pushout ``phi``, so ``A' = phi_* A`` and the supplies of merged nodes add,
``b' = phi_* b``. Each leaf keeps its own edges and supplies on its own nodes.

:func:`to_problem` sends a network to the open saddle problem with one dual variable per node
(the multiplier of its conservation constraint) and one private primal block per leaf (its
edge flows), ``L(x, lam) = sum_e c_e(x_e) + lam'(A x - b)``, on the same ports. It is an
algebra morphism: for merging ``phi``, ``lam'(phi_* A x - phi_* b) = (phi^* lam)'(A x - b)``,
and a disjoint union's Lagrangian is the sum. So the dual decomposition of a composite network
is the composite of the per-network dual decompositions (:mod:`catopt.functor.decomposition`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.algebra.finset import Space, resolve_ports
from catopt.algebra.protocol import OpenParts, UWDAlgebra
from catopt.algebra.ring import REAL
from catopt.errors import NetworkError
from catopt.problems.saddle import OpenSaddle, SaddleAlgebra, SaddleLeaf
from catopt.program.open import Open

__all__ = ["FlowLeaf", "FlowAlgebra", "OpenFlowNetwork", "to_problem", "components"]


def components(n: int, src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    """The smallest node of each node's connected component (undirected), vectorized:
    min-label propagation along the edges with pointer jumping."""
    rep = np.arange(n, dtype=np.int64)
    if len(src) == 0:
        return rep
    while True:
        m = np.minimum(rep[src], rep[tgt])
        new = rep.copy()
        np.minimum.at(new, src, m)
        np.minimum.at(new, tgt, m)
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, rep):
            return rep
        rep = new


class FlowLeaf:
    """The edges of one network on its own ``size`` nodes (vectorized over the edges).

    Attributes: ``src``, ``tgt`` (local node indices), ``a``, ``beta``, ``gamma`` (the cost
    ``a x^2 + beta x + gamma`` of each edge) or ``cost``/``dcost`` (a general convex cost and
    its derivative, called as ``cost(x, e)`` for edge indices ``e``), ``lower``, ``upper``
    (capacity bounds), ``supply`` (per node), ``edge_names``.
    """

    __slots__ = ("size", "src", "tgt", "a", "beta", "gamma", "cost", "dcost", "lower", "upper",
                 "supply", "edge_names", "incidence", "_fast")

    def __init__(self, size: int, src: np.ndarray, tgt: np.ndarray, a: np.ndarray,
                 beta: np.ndarray, gamma: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 supply: np.ndarray, edge_names: tuple[str, ...],
                 cost: Callable[[np.ndarray, np.ndarray], Any] | None = None,
                 dcost: Callable[[np.ndarray, np.ndarray], Any] | None = None) -> None:
        self.size = size
        self.src, self.tgt = src, tgt
        self.a, self.beta, self.gamma = a, beta, gamma
        self.cost, self.dcost = cost, dcost
        self.lower, self.upper = lower, upper
        self.supply = supply
        self.edge_names = edge_names
        self.incidence: Any = None
        self._fast: tuple[Any, ...] | None = None

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def edge_cost(self, x: np.ndarray) -> np.ndarray:
        """``c_e(x_e)`` for every edge."""
        if self.cost is not None:
            return np.asarray(self.cost(x, np.arange(self.n_edges)), dtype=float)
        return (self.a * x + self.beta) * x + self.gamma

    def edge_dcost(self, x: np.ndarray) -> np.ndarray:
        """``c_e'(x_e)`` for every edge."""
        if self.dcost is not None:
            return np.asarray(self.dcost(x, np.arange(self.n_edges)), dtype=float)
        return 2 * self.a * x + self.beta

    def matrix(self) -> Any:
        """The sparse incidence matrix (built once; scipy)."""
        if self.incidence is None:
            from scipy.sparse import csr_matrix

            e = np.arange(self.n_edges)
            self.incidence = csr_matrix(
                (np.concatenate([np.ones(len(e)), -np.ones(len(e))]),
                 (np.concatenate([self.src, self.tgt]), np.concatenate([e, e]))),
                shape=(self.size, self.n_edges))
        return self.incidence

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``A x``: net outflow per node."""
        return self.matrix() @ x

    def apply_t(self, lam: np.ndarray) -> np.ndarray:
        """``A' lam``: ``lam[src] - lam[tgt]`` per edge."""
        return lam[self.src] - lam[self.tgt]

    def argmin(self, s: np.ndarray) -> np.ndarray:
        """``argmin_{l <= x <= h} c_e(x) + s_e x`` for every edge at once.

        Quadratic costs with ``a > 0``: the closed form ``clip(-(beta + s) / (2 a), l, h)``.
        Linear costs (``a = 0``): the bound the slope ``beta + s`` points to; on a tie
        (slope 0) the point of ``[l, h]`` nearest 0. General costs: the root of
        ``c'(x) + s = 0`` in ``[l, h]`` by scipy's vectorized bracketing root finder
        (``scipy.optimize.elementwise``), or the bound where there is none.
        """
        lo, hi = self.lower, self.upper
        if self.dcost is None and self._fast is None:
            pos = bool(np.all(self.a > 0))
            self._fast = (pos, -0.5 / np.where(self.a > 0, self.a, 1.0),
                          bool(np.isfinite(lo).any() or np.isfinite(hi).any()))
        if self.dcost is None and self._fast is not None and self._fast[0]:
            _, neg_inv2a, bounded = self._fast
            x = (self.beta + s) * neg_inv2a
            return np.clip(x, lo, hi) if bounded else x
        if self.dcost is None:
            lin = self.a == 0
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.clip(-(self.beta + s) / (2 * np.where(lin, 1.0, self.a)), lo, hi)
            if lin.any():
                slope = self.beta[lin] + s[lin]
                unb = ((slope > 0) & ~np.isfinite(lo[lin])) | ((slope < 0) & ~np.isfinite(hi[lin]))
                if unb.any():
                    e = int(np.flatnonzero(lin)[np.argmax(unb)])
                    raise NetworkError(
                        f"edge {self.edge_names[e]!r} has a linear cost and no capacity on the "
                        f"side its slope points to: min_x (beta + s) x is unbounded; give it "
                        "capacities or a quadratic term")
                x[lin] = np.where(slope > 0, lo[lin], np.where(slope < 0, hi[lin],
                                                               np.clip(0.0, lo[lin], hi[lin])))
            return x
        return self._root(s)

    def _root(self, s: np.ndarray) -> np.ndarray:
        from scipy.optimize import elementwise

        lo, hi = self.lower, self.upper
        every = np.arange(self.n_edges)
        dc = self.dcost
        assert dc is not None
        x = np.zeros(self.n_edges)
        blo = np.where(np.isfinite(lo), lo, -1.0)
        bhi = np.where(np.isfinite(hi), hi, 1.0)
        at_lo = np.isfinite(lo) & (np.asarray(dc(blo, every)) + s >= 0)
        at_hi = np.isfinite(hi) & (np.asarray(dc(bhi, every)) + s <= 0) & ~at_lo
        inner = np.flatnonzero(~(at_lo | at_hi))
        x[at_lo], x[at_hi] = lo[at_lo], hi[at_hi]
        if inner.size:
            def g(x: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
                return np.asarray(dc(x, e.astype(np.int64)), dtype=float) + s

            args = (s[inner], inner.astype(float))
            br = elementwise.bracket_root(g, np.zeros(inner.size), xmin=lo[inner],
                                          xmax=hi[inner], args=args)
            if not np.all(br.success):
                e = int(inner[np.argmin(br.success)])
                raise NetworkError(f"edge {self.edge_names[e]!r}: no minimizer of its cost plus "
                                   "a linear term was found (is the cost coercive?)")
            res = elementwise.find_root(g, br.bracket, args=args,
                                        tolerances={"xatol": 1e-14, "xrtol": 1e-15})
            x[inner] = res.x
        return x


class FlowAlgebra(UWDAlgebra):
    """Open flow networks glued at nodes: edges carried along ``phi``, supplies added."""

    name = "flow network"

    def assemble(self, parts: OpenParts) -> OpenFlowNetwork:
        obj = OpenFlowNetwork.assembled(parts, self)
        obj.check_balance()
        return obj


def _vector(values: Any, name: str, m: int, what: str) -> np.ndarray:
    """``values`` as a float array of shape ``(m,)`` (one per ``what``), or a NetworkError."""
    want = f"{name} must be {m} numbers, one per {what[:-1]}"
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise NetworkError(f"{want}; got {values!r}"[:300]) from None
    if x.shape != (m,):
        raise NetworkError(f"{want}, so of shape ({m},); got shape {x.shape} (the network has "
                           f"{m} {what})")
    return x


def _edge_array(value: Any, m: int, what: str, default: float) -> np.ndarray:
    if value is None:
        return np.full(m, default)
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(m, float(arr))
    if arr.shape != (m,):
        raise NetworkError(f"{what} has shape {arr.shape}; the network has {m} edges, so "
                           f"expected ({m},) or a scalar")
    return arr


class OpenFlowNetwork(Open):
    """An open flow network (see the module docstring).

    Parameters
    ----------
    nodes
        An int ``n`` (nodes ``0..n-1``) or a sequence of node names.
    edges
        ``(u, v)`` pairs of nodes.
    quadratic, linear, constant
        Per-edge ``a``, ``beta``, ``gamma`` of the costs
        ``a x^2 + beta x + gamma`` (scalars broadcast; ``a >= 0``).
    cost, dcost
        Instead, a general convex cost and its derivative, vectorized:
        ``cost(x, e)[k] = c_{e[k]}(x[k])`` for an array ``e`` of edge indices (so that the
        inner minimization can solve for any subset of edges at once); convexity is checked
        by sampling ``dcost``.
    lower, upper
        Capacity bounds per edge (None: unbounded).
    supply
        Per node (a sequence in node order or a mapping by node name; default 0).
    ports
        The exposed nodes.
    """

    def __init__(self, nodes: int | Sequence[Any], edges: Sequence[tuple[Any, Any]], *,
                 quadratic: Any = None, linear: Any = None, constant: Any = None,
                 cost: Callable[[np.ndarray, np.ndarray], Any] | None = None,
                 dcost: Callable[[np.ndarray, np.ndarray], Any] | None = None, lower: Any = None,
                 upper: Any = None, supply: Any = None, ports: Sequence[Any] = (),
                 name: str | None = None) -> None:
        if isinstance(nodes, (int, np.integer)) and not isinstance(nodes, bool):
            sp = Space.integer_space(int(nodes))
            names: list[Any] = list(range(int(nodes)))
        else:
            names = list(nodes)
            sp = Space([(str(v), ()) for v in names])
        where = {v: i for i, v in enumerate(names)}
        where.update({str(v): i for i, v in enumerate(names)})
        src, tgt = [], []
        for k, e in enumerate(edges):
            try:
                u, v = e
            except (TypeError, ValueError):
                raise NetworkError(f"edge {k} must be a pair (u, v) of nodes, got {e!r}") from None
            for end in (u, v):
                if end not in where:
                    raise NetworkError(f"edge {k} ({u!r} -> {v!r}) names unknown node {end!r}; "
                                       f"the nodes are {names[:20]}")
            src.append(where[u])
            tgt.append(where[v])
        m = len(src)
        a = _edge_array(quadratic, m, "quadratic", 0.0)
        beta = _edge_array(linear, m, "linear", 0.0)
        gamma = _edge_array(constant, m, "constant", 0.0)
        lo = _edge_array(lower, m, "lower", -np.inf)
        hi = _edge_array(upper, m, "upper", np.inf)
        if (cost is None) != (dcost is None):
            raise NetworkError("a general edge cost needs both cost= and dcost= (its derivative)")
        if cost is not None and quadratic is not None:
            raise NetworkError("give either quadratic/linear/constant costs or cost=/dcost=")
        if np.any(a < 0):
            e = int(np.argmax(a < 0))
            raise NetworkError(f"edge {e} ({names[src[e]]!r} -> {names[tgt[e]]!r}) has a "
                               f"non-convex cost: quadratic coefficient {a[e]} < 0")
        if np.any(lo > hi):
            e = int(np.argmax(lo > hi))
            raise NetworkError(f"edge {e} ({names[src[e]]!r} -> {names[tgt[e]]!r}) has an "
                               f"empty capacity range: lower {lo[e]} > upper {hi[e]}")
        if np.any(np.isnan(lo) | np.isnan(hi)):
            raise NetworkError("capacity bounds must not be NaN")
        if isinstance(supply, Mapping):
            b = np.zeros(sp.n)
            for k, val in supply.items():
                if k not in where:
                    raise NetworkError(f"supply names unknown node {k!r}")
                b[where[k]] = float(val)
        elif supply is None:
            b = np.zeros(sp.n)
        else:
            b = _vector(supply, "supply", sp.n, "nodes")
        port_names = [str(p) if not sp.integer else p for p in ports]
        for p in ports:
            if p not in where:
                raise NetworkError(f"port {p!r} is not a node; the nodes are {names[:20]}")
        port_vars = resolve_ports(sp, [where[p] if sp.integer else str(p) for p in port_names])
        ename = tuple(f"{names[s]}->{names[t]}" for s, t in zip(src, tgt, strict=True))
        leaf = FlowLeaf(sp.n, np.asarray(src, np.int64), np.asarray(tgt, np.int64), a, beta,
                        gamma, lo, hi, b, ename, cost, dcost)
        if cost is not None:
            _check_convex(leaf)
        Open.__init__(self, OpenParts(sp, port_vars, (leaf,), (name or "net",), None,
                                      name=name), FlowAlgebra())
        self.check_balance()

    @classmethod
    def algebra_of(cls, ring: Any = None) -> FlowAlgebra:
        return FlowAlgebra(REAL if ring is None else ring)

    # -- the composite's data -------------------------------------------------------------
    @property
    def n_edges(self) -> int:
        return sum(leaf.n_edges for leaf in self.leaves)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """``(src, tgt)`` of every edge in composite node coordinates, leaves in order."""
        idx = self.parts.gather_index
        offs = self.program.offsets
        src = [idx[offs[k] + leaf.src] for k, leaf in enumerate(self.leaves)]
        tgt = [idx[offs[k] + leaf.tgt] for k, leaf in enumerate(self.leaves)]
        if not src:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(src), np.concatenate(tgt)

    def supply(self) -> np.ndarray:
        """``b = phi_* sum_k b_k``: the supplies of merged nodes add."""
        return self.program.scatter(np.concatenate([leaf.supply for leaf in self.leaves])
                                    if self.leaves else np.zeros(0))

    #: the per-edge data :meth:`edge_data` gathers
    EDGE_DATA = ("a", "beta", "gamma", "lower", "upper")

    @property
    def edge_offsets(self) -> np.ndarray:
        """Where each leaf's edges lie in the composite's edge order.

        Returns
        -------
        numpy.ndarray
            ``offs`` of shape ``(len(leaves) + 1,)``, int64, with ``offs[0] = 0`` and
            ``offs[k + 1] = offs[k] + leaves[k].n_edges``: the edges of leaf ``k`` are
            ``offs[k]:offs[k + 1]`` of any per-edge vector (flows, costs, capacities).
        """
        sizes = np.fromiter((leaf.n_edges for leaf in self.leaves), dtype=np.int64,
                            count=len(self.leaves))
        return np.concatenate([np.zeros(1, np.int64), np.cumsum(sizes)])

    def edge_data(self, attr: str) -> np.ndarray:
        """One per-edge datum of every edge, leaves in order.

        Parameters
        ----------
        attr
            ``"a"``, ``"beta"``, ``"gamma"`` (the cost ``a x^2 + beta x + gamma``; a general
            ``cost=`` edge keeps the zeros it was built with), ``"lower"`` or ``"upper"`` (the
            capacities ``l_e <= x_e <= h_e``, infinite where absent).

        Returns
        -------
        numpy.ndarray
            Shape ``(n_edges,)``: the leaves' arrays concatenated (block ``k`` is
            ``edge_offsets[k]:edge_offsets[k + 1]``).
        """
        if attr not in self.EDGE_DATA:
            raise NetworkError(f"edge_data takes one of {list(self.EDGE_DATA)}, got {attr!r}")
        return np.concatenate([getattr(leaf, attr) for leaf in self.leaves]) if self.leaves \
            else np.zeros(0)

    def edge_vector(self, values: Any, name: str) -> np.ndarray:
        """``values`` as a float vector with one entry per edge (leaves in order), or a
        :class:`~catopt.errors.NetworkError` naming ``name`` and the expected length."""
        return _vector(values, name, self.n_edges, "edges")

    def node_vector(self, values: Any, name: str) -> np.ndarray:
        """``values`` as a float vector with one entry per node of the composite, or a
        :class:`~catopt.errors.NetworkError` naming ``name`` and the expected length."""
        return _vector(values, name, self.n, "nodes")

    def incidence(self) -> Any:
        """The composite's sparse node-edge incidence matrix ``A = phi_* [A_k]``."""
        from scipy.sparse import csr_matrix

        src, tgt = self.edges()
        e = np.arange(len(src))
        return csr_matrix((np.concatenate([np.ones(len(e)), -np.ones(len(e))]),
                           (np.concatenate([src, tgt]), np.concatenate([e, e]))),
                          shape=(self.n, len(e)))

    def check_balance(self) -> None:
        """Supplies must sum to zero on every connected component that no port exposes
        (composition cannot balance it later): a NetworkError names one otherwise."""
        if not self.leaves:
            return
        src, tgt = self.edges()
        rep = components(self.n, src, tgt)
        b = self.supply()
        total = np.bincount(rep, weights=b, minlength=self.n)
        scale = np.bincount(rep, weights=np.abs(b), minlength=self.n)
        open_comp = np.zeros(self.n, dtype=bool)
        open_comp[rep[np.asarray(self.parts.ports, dtype=np.int64)]] = True
        bad = np.flatnonzero((np.abs(total) > 1e-9 * np.maximum(scale, 1.0)) & ~open_comp)
        if bad.size:
            r = int(bad[0])
            members = np.flatnonzero(rep == r)
            shown = [self.labels[i] for i in members[:8]]
            raise NetworkError(
                f"infeasible supplies: they sum to {total[r]:.6g}, not 0, on the connected "
                f"component of nodes {shown}{' ...' if len(members) > 8 else ''}, which no port "
                "exposes")

    def flatten(self, name: str | None = None) -> OpenFlowNetwork:
        """The same network as one leaf: every edge in composite node coordinates, the
        supplies pushed forward (what standard dual decomposition runs on)."""
        src, tgt = self.edges()
        leaves = self.leaves
        general = [leaf.cost is not None for leaf in leaves]
        if any(general):
            raise NetworkError("flatten supports quadratic/linear edge costs only")
        leaf = FlowLeaf(self.n, src, tgt, self.edge_data("a"), self.edge_data("beta"),
                        self.edge_data("gamma"), self.edge_data("lower"),
                        self.edge_data("upper"), self.supply(),
                        tuple(f"{n}:{e}" for n, lf in zip(self.leaf_names, leaves, strict=True)
                              for e in lf.edge_names))
        return FlowAlgebra().assemble(OpenParts(self.space, self.parts.ports, (leaf,),
                                                (name or "net",), None, name=name))


def _check_convex(leaf: FlowLeaf) -> None:
    lo = np.where(np.isfinite(leaf.lower), leaf.lower, -10.0)
    hi = np.where(np.isfinite(leaf.upper), leaf.upper, 10.0)
    ts = np.linspace(0.0, 1.0, 9)
    vals = np.stack([leaf.edge_dcost(lo + t * (hi - lo)) for t in ts])
    dec = np.diff(vals, axis=0) < -1e-12 * (1 + np.abs(vals[:-1]))
    if dec.any():
        e = int(np.flatnonzero(dec.any(axis=0))[0])
        raise NetworkError(f"edge {e} ({leaf.edge_names[e]}) has a non-convex cost: its "
                           "derivative decreases on the sampled range")


class FlowSaddleLeaf(SaddleLeaf):
    """The Lagrangian ``sum_e c_e(x_e) + lam'(A x - b)`` of one flow leaf, on its nodes (dual)
    followed by its edges (primal), with the vectorized edge argmin."""

    __slots__ = ("flow", "gamma_sum")

    def __init__(self, flow: FlowLeaf, what: str) -> None:
        nv, ne = flow.size, flow.n_edges
        self.flow = flow

        def value(z: np.ndarray) -> float:
            lam, x = z[:nv], z[nv:]
            return float(np.sum(flow.edge_cost(x)) + lam @ (flow.apply(x) - flow.supply))

        def vg(z: np.ndarray) -> tuple[float, np.ndarray]:
            lam, x = z[:nv], z[nv:]
            r = flow.apply(x) - flow.supply
            v = float(np.sum(flow.edge_cost(x)) + lam @ r)
            return v, np.concatenate([r, flow.edge_dcost(x) + flow.apply_t(lam)])

        def argmin(z: np.ndarray) -> np.ndarray:
            return flow.argmin(flow.apply_t(z[:nv]))

        dual = np.concatenate([np.ones(nv, bool), np.zeros(ne, bool)])
        lower = np.concatenate([np.full(nv, -np.inf), flow.lower])
        upper = np.concatenate([np.full(nv, np.inf), flow.upper])
        super().__init__(nv + ne, value, vg, dual, lower, upper, argmin, what=what,
                         backend="manual")
        self.gamma_sum = float(np.sum(flow.gamma))

    def argmin_dual(self, lam: np.ndarray) -> np.ndarray:
        """The edges' minimizers at ``s = A' lam``, vectorized."""
        return self.flow.argmin(self.flow.apply_t(lam))

    def value_and_dual_grad_at(self, lam: np.ndarray,
                               x: np.ndarray) -> tuple[float, np.ndarray]:
        """``(L(x, lam), A x - b)`` without the primal gradient."""
        flow = self.flow
        r = flow.apply(x) - flow.supply
        if flow.cost is not None:
            cost = float(np.sum(flow.edge_cost(x)))
        else:
            # an elementwise sum, not a BLAS dot (threaded BLAS contends on busy cores)
            cost = float(np.sum(x * (flow.a * x + flow.beta))) + self.gamma_sum
        return cost + float(lam @ r), r


def to_problem(net: OpenFlowNetwork) -> OpenSaddle:
    """The network's Lagrangian as an open saddle problem on the same ports: the node
    variables are dual (one multiplier per conservation constraint), and each leaf's edge
    flows are a private primal variable ``flow`` (``<leaf>.flow`` in a composite)."""
    if not isinstance(net, OpenFlowNetwork):
        raise NetworkError(f"to_problem takes an OpenFlowNetwork, got {type(net).__name__}")
    prog = net.program
    composite = net.is_composite
    variables = list(zip(net.space.names, net.space.shapes, strict=True))
    for name, leaf in zip(net.leaf_names, net.leaves, strict=True):
        variables.append((f"{name}.flow" if composite else "flow", (leaf.n_edges,)))
    sp = Space(variables, integer=False)
    idx = net.parts.gather_index
    pieces = []
    start = net.n
    leaves = []
    for k, leaf in enumerate(net.leaves):
        pieces.append(idx[prog.leaf_slice(k)])
        pieces.append(np.arange(start, start + leaf.n_edges, dtype=np.int64))
        start += leaf.n_edges
        leaves.append(FlowSaddleLeaf(leaf, f"Lagrangian of {net.leaf_names[k]!r}"))
    index = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
    return SaddleAlgebra().assemble(OpenParts(
        sp, net.parts.ports, tuple(leaves), net.leaf_names,
        None if not composite and len(leaves) == 1 and np.array_equal(index, np.arange(sp.n))
        else index, net.parts.gluing, tuple(to_problem(c) for c in net.parts.components),
        net.parts.name))
