"""Open flow networks: ``to_problem`` is natural and monoidal on random networks, standard and
hierarchical dual decomposition give the same iterates, the recovered primal flows match
independent solvers, and bad networks are named."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import catopt as co
from catopt.engines.systems import run_system
from catopt.functor.decomposition import (
    dual_decomposition,
    hierarchical_dual_decomposition,
    standard_dual_decomposition,
)
from catopt.problems.flow_random import random_flow_network
from catopt.problems.flows import OpenFlowNetwork, to_problem
from tests.helpers.flows import FlowReference, fill_networks, scalar_diagram, two_glued_networks
from tests.strategies import seeds


def _instance(seed: int, outer: bool = True, **kw):
    rng = np.random.default_rng(seed)
    d = scalar_diagram(rng, outer=outer)
    return d, fill_networks(rng, d, **kw)


@given(seeds)
def test_to_problem_is_natural(seed: int) -> None:
    """to_problem(compose(d, nets)) == compose(d, [to_problem(n) for n in nets]) ==
    the Lagrangian of the composite network assembled independently."""
    d, nets = _instance(seed)
    left = to_problem(co.compose(d, nets))
    right = co.compose(d, [to_problem(n) for n in nets])
    ref = FlowReference(d, nets)
    pl, pr = ref.perm(left.labels), ref.perm(right.labels)
    z = np.random.default_rng(seed % 71).standard_normal(left.n)
    zl = np.empty_like(z)
    zl[pl] = z
    zr = np.empty_like(z)
    zr[pr] = z
    want = ref.lagrangian(z)
    assert left.lagrangian(zl) == pytest.approx(want, rel=1e-12, abs=1e-12)
    assert right.lagrangian(zr) == pytest.approx(want, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(left.gradient(zl)[pl], ref.gradient(z), atol=1e-12)
    np.testing.assert_allclose(right.gradient(zr)[pr], ref.gradient(z), atol=1e-12)
    assert left.ports == right.ports
    read = np.bincount(left.gather_index, minlength=left.n)[pl] > 0  # a junction no box uses
    np.testing.assert_array_equal(left.dual_mask[pl][read], (np.arange(len(z)) < ref.nv)[read])


@given(seeds)
@settings(max_examples=30)
def test_to_problem_is_monoidal(seed: int) -> None:
    """On a disjoint union (every port on its own outer junction) the Lagrangian is the sum
    of the parts' Lagrangians on their own coordinates."""
    rng = np.random.default_rng(seed)
    nets = [random_flow_network(rng, int(rng.integers(2, 6)), 0.6, int(rng.integers(0, 2)))
            for _ in range(int(rng.integers(1, 4)))]
    boxes, outer = [], []
    for b, n in enumerate(nets):
        js = [f"b{b}p{k}" for k in range(len(n.ports))]
        boxes.append((f"b{b}", js))
        outer += js
    d = co.UWD(boxes, outer)
    L = to_problem(co.compose(d, nets))
    z = rng.standard_normal(L.n)
    where = {lab: i for i, lab in enumerate(L.labels)}
    total = 0.0
    for b, n in enumerate(nets):
        p = to_problem(n)
        idx = []
        for lab in p.labels:
            base = lab.split("[")[0]
            if base in [str(v) for v in n.ports]:
                j = [str(v) for v in n.ports].index(base)
                idx.append(where[f"b{b}p{j}"])
            else:
                idx.append(where[f"b{b}.{lab}"])
        total += p.lagrangian(z[idx])
    assert L.lagrangian(z) == pytest.approx(total, rel=1e-12, abs=1e-12)


def _compare_iterates(d, nets, steps=30, eta=0.05) -> float:
    """The largest difference of the three algorithms' iterates, relative to max(1, |z|)."""
    comp = co.compose(d, nets)
    hier = hierarchical_dual_decomposition(d, nets, eta)
    derived = dual_decomposition(comp, eta)
    std = standard_dual_decomposition(comp, eta)
    ps = [np.array([{lab: i for i, lab in enumerate(s.labels)}[lab] for lab in derived.labels])
          if s is not derived else np.arange(derived.n) for s in (hier, derived)]
    zs = [np.zeros(hier.n), np.zeros(derived.n), np.zeros(std.n)]
    worst = 0.0
    for t in range(steps):
        zs = [hier.update(zs[0], t), derived.update(zs[1], t), std.update(zs[2], t)]
        h = zs[0][ps[0]]
        scale = max(1.0, np.max(np.abs(zs[1]), initial=0.0))
        worst = max(worst, np.max(np.abs(h - zs[1]), initial=0.0) / scale,
                    np.max(np.abs(zs[1] - zs[2]), initial=0.0) / scale)
    return worst


@given(seeds)
@settings(max_examples=40)
def test_standard_and_hierarchical_dual_decomposition_agree(seed: int) -> None:
    d, nets = _instance(seed)
    assert _compare_iterates(d, nets) <= 1e-12


def test_standard_and_hierarchical_agree_on_the_papers_diagram_and_nested() -> None:
    rng = np.random.default_rng(1)
    d = co.relation("(a,y,z) :- f(w,x,a), g(u,w,y), h(u,w,x,z)")
    nets = [random_flow_network(rng, 12, 0.3, k) for k in (3, 3, 4)]
    assert co.compose(d, nets).n == 3 * 12 - 4
    assert _compare_iterates(d, nets, steps=100, eta=0.01) <= 1e-12
    # nesting: box g is itself a composite of two networks glued at one node
    e = co.relation("(p,q,r) :- s(p,q,m), t(m,r)")
    inner = [random_flow_network(rng, 6, 0.5, 3), random_flow_network(rng, 5, 0.5, 2)]
    nested = [nets[0], co.compose(e, inner), nets[2]]
    assert _compare_iterates(d, nested, steps=50, eta=0.01) <= 1e-12
    flat = d.substitute({1: e})
    a = dual_decomposition(co.compose(d, nested), 0.01)
    b = dual_decomposition(co.compose(flat, [nets[0], *inner, nets[2]]), 0.01)
    za, zb = np.zeros(a.n), np.zeros(b.n)
    for t in range(20):
        za, zb = a.update(za, t), b.update(zb, t)
    assert sorted(a.labels) == sorted(b.labels)
    perm = np.array([{lab: i for i, lab in enumerate(b.labels)}[lab] for lab in a.labels])
    np.testing.assert_allclose(za, zb[perm], atol=1e-12)


def _solve(net, ref: FlowReference, steps: int = 40000):
    """Dual decomposition to convergence with the step 1/Lip of the dual gradient."""
    D = 2 * ref.a
    lip = np.linalg.norm(ref.A @ np.diag(1 / D) @ ref.A.T, 2)
    eta = 1.0 / lip
    system = dual_decomposition(net, eta)
    res = run_system(system, np.zeros(system.n), steps, step=eta, tol=1e-10)
    return system, res


@given(seeds)
@settings(max_examples=10)
def test_primal_flows_match_a_kkt_solve(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = co.relation("() :- f(w,x), g(u,w), h(u,w,x)")
    nets = [random_flow_network(rng, 7, 0.5, k, name=q) for k, q in zip((2, 2, 3), "fgh",
                                                                           strict=True)]
    for n in nets:
        n.leaves[0].a[:] = 0.25 + n.leaves[0].a  # keep the dual well conditioned
    ref = FlowReference(d, nets)
    system, res = _solve(co.compose(d, nets), ref)
    perm = ref.perm(system.labels)
    x = res.x[perm][ref.nv:]
    np.testing.assert_allclose(x, ref.kkt_flow(), atol=1e-6)
    np.testing.assert_allclose(ref.A @ x, ref.b, atol=1e-6)


@given(seeds)
@settings(max_examples=5)
def test_primal_flows_with_capacities_match_scipy(seed: int) -> None:
    """Quadratic costs with capacities: the recovered flow matches scipy's SLSQP on the
    independently assembled problem, and respects the capacities."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(seed)
    d = co.relation("() :- f(w,x), g(w,x)")
    nets = [random_flow_network(rng, 6, 0.6, 2, capacities=True, name=q) for q in "fg"]
    for n in nets:
        n.leaves[0].a[:] = 0.25 + n.leaves[0].a
        n.leaves[0].lower[:] *= 0.3  # make some capacities bind
        n.leaves[0].upper[:] *= 0.3
    ref = FlowReference(d, nets)
    # feasibility of the capped problem, checked independently (else skip this draw)
    from scipy.optimize import linprog

    lp = linprog(np.zeros(len(ref.a)), A_eq=ref.A, b_eq=ref.b,
                 bounds=list(zip(ref.lo, ref.hi, strict=True)))
    if lp.status != 0:
        return
    system, res = _solve(co.compose(d, nets), ref, steps=20000)
    x = res.x[ref.perm(system.labels)][ref.nv:]
    sol = minimize(lambda x: np.sum(ref.a * x**2 + ref.beta * x), lp.x,
                   jac=lambda x: 2 * ref.a * x + ref.beta, method="SLSQP",
                   # the composite is connected: one conservation row is redundant
                   constraints=[{"type": "eq", "fun": lambda x: ref.A[:-1] @ x - ref.b[:-1],
                                 "jac": lambda x: ref.A[:-1]}],
                   bounds=list(zip(ref.lo, ref.hi, strict=True)),
                   options={"ftol": 1e-15, "maxiter": 1000})
    assert sol.success
    np.testing.assert_allclose(x, sol.x, atol=1e-6)
    assert np.all(x >= ref.lo - 1e-12) and np.all(x <= ref.hi + 1e-12)


def test_linear_costs_with_capacities_reach_the_lp_value() -> None:
    """Linear costs with capacities: the dual is non-smooth, so dual (sub)gradient ascent with
    a diminishing step only approaches the LP optimum; its dual value is checked against
    networkx.min_cost_flow on the same (integer) data. The proximal point method reaches it
    (tests/engines/test_proximal_flows.py has the random instances)."""
    import networkx as nx

    net = two_glued_networks()
    G = nx.DiGraph()
    src, tgt = net.edges()
    costs = np.concatenate([leaf.beta for leaf in net.leaves])
    caps = np.concatenate([leaf.upper for leaf in net.leaves])
    b = net.supply()
    for v in range(net.n):
        G.add_node(v, demand=-int(b[v]))
    for s, t, c, u in zip(src, tgt, costs, caps, strict=True):
        G.add_edge(int(s), int(t), weight=int(c), capacity=int(u))
    opt = nx.cost_of_flow(G, nx.min_cost_flow(G))
    system = dual_decomposition(net, co.functor.saddle.diminishing(0.5))
    res = run_system(system, np.zeros(system.n), 20000)
    # the leaves' values are the dual function: weak duality bounds every iterate by the
    # optimum, and the best iterate of the subgradient method approaches it
    assert np.max(res.history) <= opt + 1e-9
    assert np.max(res.history) == pytest.approx(opt, abs=2e-2)
    # the proximal point method around the same dual decomposition recovers an exact flow
    exact = co.proximal_dual_decomposition(net, tol=1e-10)
    assert exact.converged
    assert exact.cost == pytest.approx(opt, abs=1e-8)
    np.testing.assert_allclose(net.incidence() @ exact.flows, b, atol=1e-9)
    assert np.all(exact.flows >= -1e-12) and np.all(exact.flows <= caps + 1e-12)


def test_bad_networks_are_named() -> None:
    with pytest.raises(co.NetworkError, match="unknown node 7"):
        OpenFlowNetwork(3, [(0, 1), (1, 7)])
    with pytest.raises(co.NetworkError, match=r"edge 1 \(1 -> 2\) has an empty capacity range"):
        OpenFlowNetwork(3, [(0, 1), (1, 2)], lower=[0, 2], upper=[1, 1])
    with pytest.raises(co.NetworkError, match="infeasible supplies: they sum to 1"):
        OpenFlowNetwork(3, [(0, 1)], supply=[1, 0, 0])
    OpenFlowNetwork(3, [(0, 1)], supply=[1, 0, 0], ports=[1])  # open: a later gluing may balance
    with pytest.raises(co.NetworkError, match="infeasible supplies"):
        a = OpenFlowNetwork(2, [(0, 1)], supply=[1, 0], ports=[1])
        co.compose(co.relation("() :- f(x), g(x)"), [a, a])
    with pytest.raises(co.NetworkError, match="non-convex cost: quadratic coefficient -1"):
        OpenFlowNetwork(2, [(0, 1)], quadratic=[-1.0])
    with pytest.raises(co.NetworkError, match="non-convex cost"):
        OpenFlowNetwork(2, [(0, 1)], cost=lambda x, e: np.cos(x), dcost=lambda x, e: -np.sin(x))
    with pytest.raises(co.NetworkError, match=r"quadratic has shape \(3,\)"):
        OpenFlowNetwork(2, [(0, 1)], quadratic=[1.0, 2.0, 3.0])
    with pytest.raises(co.NetworkError, match=r"supply must be 2 numbers, one per node.*\(3,\)"):
        OpenFlowNetwork(2, [(0, 1)], supply=[1.0, -1.0, 0.0])
    with pytest.raises(co.NetworkError, match="supply must be 2 numbers, one per node; got 'ab'"):
        OpenFlowNetwork(2, [(0, 1)], supply="ab")
    with pytest.raises(co.NetworkError, match="port 5 is not a node"):
        OpenFlowNetwork(2, [(0, 1)], ports=[5])
    lin = OpenFlowNetwork(2, [(0, 1)], linear=[1.0], supply=[1.0, -1.0])
    with pytest.raises(co.NetworkError, match="linear cost and no capacity"):
        system = dual_decomposition(lin, 0.1)
        system.update(np.zeros(system.n))
    # a network's node multipliers are scalars: a vector-valued dual port does not fit
    vec = co.OpenSaddle.quadratic(np.eye(2), np.zeros(2), np.eye(2), np.zeros(2),
                                  primal=2, dual={"l": (2,)}, ports=["l"])
    with pytest.raises(co.ShapeError, match="port 0 of box 'g'.*shape"):
        co.compose(co.relation("() :- f(x), g(x)"),
                   [to_problem(OpenFlowNetwork(2, [(0, 1)], ports=[0])), vec])


def test_general_convex_costs_use_scipys_vectorized_root_finder() -> None:
    """Costs ``w x^4 + x^2 + beta x`` (no closed form): the inner argmin solves
    ``c'(x) + s = 0`` for all edges at once; checked by its optimality condition."""
    w = np.array([1.0, 0.5, 2.0])
    beta = np.array([0.3, -0.2, 0.1])
    net = OpenFlowNetwork(3, [(0, 1), (1, 2), (0, 2)],
                          cost=lambda x, e: w[e] * x**4 + x**2 + beta[e] * x,
                          dcost=lambda x, e: 4 * w[e] * x**3 + 2 * x + beta[e],
                          lower=[-np.inf, -0.1, -np.inf], upper=[np.inf, 0.1, np.inf],
                          supply=[1.0, 0.0, -1.0])
    leaf = net.leaves[0]
    s = np.array([-2.0, 3.0, 0.7])
    x = leaf.argmin(s)
    g = 4 * w * x**3 + 2 * x + beta + s
    assert abs(g[0]) < 1e-10 and abs(g[2]) < 1e-10
    assert x[1] == pytest.approx(-0.1)  # the bound: the unconstrained root lies below it
    system = dual_decomposition(net, 0.1)
    res = run_system(system, np.zeros(system.n), 5000, step=0.1, tol=1e-9)
    xs = res.x[3:]
    np.testing.assert_allclose(net.incidence() @ xs, net.supply(), atol=1e-7)


def test_edge_data_and_offsets_are_the_leaves_blocks() -> None:
    """``edge_offsets`` and ``edge_data`` against the subnetworks as they were built: block
    ``k`` of every per-edge datum is the data given to box ``k`` (boxes in order)."""
    d = co.relation("() :- f(w, x), g(x, w), h(w)")
    f = OpenFlowNetwork(3, [(0, 1), (1, 2)], linear=[1.0, 2.0], upper=[4.0, 5.0],
                        ports=[0, 2], name="f")
    g = OpenFlowNetwork(2, [(0, 1)], quadratic=3.0, lower=-1.0, ports=[0, 1], name="g")
    h = OpenFlowNetwork(2, [(0, 1), (1, 0), (0, 1)], linear=[7.0, 8.0, 9.0], ports=[0],
                        name="h")
    net = co.compose(d, [f, g, h])
    offs = net.edge_offsets
    assert offs.tolist() == [0, 2, 3, 6] and offs.dtype == np.int64
    np.testing.assert_array_equal(net.edge_data("beta"), [1, 2, 0, 7, 8, 9])
    np.testing.assert_array_equal(net.edge_data("a"), [0, 0, 3, 0, 0, 0])
    np.testing.assert_array_equal(net.edge_data("upper"), [4, 5, np.inf, np.inf, np.inf, np.inf])
    np.testing.assert_array_equal(net.edge_data("lower")[offs[1]:offs[2]], [-1.0])
    assert len(net.edge_data("gamma")) == net.n_edges == offs[-1]
    with pytest.raises(co.NetworkError, match=r"edge_data takes one of \['a', 'beta'"):
        net.edge_data("supply")
