"""Exact minimum-cost flows for linear costs with capacities: the proximal point method with
dual decomposition recovers flows that match scipy's HiGHS (real data) and networkx's network
simplex (integer data) on random composite networks; broken variants are caught by the same
check; bad input is named."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings

import catopt as co
from catopt.engines.proximal_flows import flow_cost, flow_dual_value, proximal_dual_decomposition
from catopt.engines.systems import run_system
from catopt.functor.decomposition import dual_decomposition, recover_flows
from catopt.functor.saddle import diminishing
from catopt.problems.flows import OpenFlowNetwork
from tests.helpers.flows import FlowReference, fill_networks, scalar_diagram, two_glued_networks
from tests.strategies import seeds

PAPER = "(a,y,z) :- f(w,x,a), g(u,w,y), h(u,w,x,z)"


def _violation(x: np.ndarray, ref: FlowReference, lp: tuple) -> dict[str, float]:
    """How far ``x`` is from the LP solution: conservation, bounds, cost, and (when HiGHS's
    optimum is certified unique) the distance to it."""
    x_lp, cost_lp, unique = lp
    return {"conservation": float(np.max(np.abs(ref.A @ x - ref.b), initial=0.0)),
            "bounds": float(max(np.max(ref.lo - x, initial=0.0), np.max(x - ref.hi, initial=0.0),
                                0.0)),
            "cost": abs(float(ref.beta @ x + ref.gamma.sum()) - cost_lp),
            "flow": float(np.max(np.abs(x - x_lp), initial=0.0)) if unique else 0.0}


def _ok(v: dict[str, float]) -> bool:
    return v["conservation"] <= 1e-6 and v["bounds"] <= 1e-12 and v["cost"] <= 1e-6 and \
        v["flow"] <= 1e-6


def _random_lp(seed: int):
    rng = np.random.default_rng(seed)
    d = scalar_diagram(rng, max_boxes=3)
    nets = fill_networks(rng, d, capacities=True, linear=True, feasible=True)
    return d, nets, FlowReference(d, nets)


@given(seeds)
@settings(max_examples=6, deadline=None)
def test_linear_flows_match_highs(seed: int) -> None:
    """Random networks with linear costs ``beta ~ +-U(0, 1)`` and capacities ``[-u, u]``, glued
    along random diagrams: the recovered flow is feasible, optimal, and equal to HiGHS's where
    that optimum is unique; the multipliers certify it (zero duality gap)."""
    d, nets, ref = _random_lp(seed)
    lp = ref.linprog()
    assert lp is not None  # feasible by construction
    s = proximal_dual_decomposition(co.compose(d, nets), tol=1e-10)
    assert s.converged, s.message
    v = _violation(s.flows, ref, lp)
    assert _ok(v), v
    assert s.cost == pytest.approx(s.dual_value, abs=1e-6)  # strong duality at the multipliers
    assert s.cost == pytest.approx(lp[1], abs=1e-6)


def test_most_random_instances_have_a_unique_optimum() -> None:
    """The flow comparison of the test above is not vacuous: HiGHS's optimum is certified
    unique on most of its draws (real random costs are generic)."""
    unique = [_random_lp(seed)[2].linprog()[2] for seed in range(20)]
    assert sum(unique) >= 15


def test_standard_hierarchical_and_nested_agree_on_the_papers_diagram() -> None:
    rng = np.random.default_rng(4)
    d = co.relation(PAPER)
    nets = [co.random_flow_network(rng, 6, 0.5, k, capacities=True, linear=True,
                                   feasible=True, name=q)
            for k, q in zip((3, 3, 4), "fgh", strict=True)]
    ref = FlowReference(d, nets)
    lp = ref.linprog()
    assert lp is not None and lp[2]
    net = co.compose(d, nets)
    hier = proximal_dual_decomposition(net)
    std = proximal_dual_decomposition(net, standard=True)
    assert hier.converged and std.converged
    assert _ok(_violation(hier.flows, ref, lp)) and _ok(_violation(std.flows, ref, lp))
    np.testing.assert_allclose(hier.flows, std.flows, atol=1e-9)
    assert hier.outer_iterations == std.outer_iterations
    # box g replaced by a composite of two networks: the same network, nested
    e = co.relation("(p,q,r) :- s(p,q,m), t(m,r)")
    inner = [co.random_flow_network(rng, 4, 0.7, 3, capacities=True, linear=True,
                                    feasible=True),
             co.random_flow_network(rng, 4, 0.7, 2, capacities=True, linear=True,
                                    feasible=True)]
    nested = co.compose(d, [nets[0], co.compose(e, inner), nets[2]])
    flat_d = d.substitute({1: e})
    flat = [nets[0], *inner, nets[2]]
    ref = FlowReference(flat_d, flat)
    lp = ref.linprog()
    assert lp is not None
    s = proximal_dual_decomposition(nested)
    assert s.converged and _ok(_violation(s.flows, ref, lp))


def _integer_instance(seed: int):
    rng = np.random.default_rng(seed)
    d = co.relation(PAPER)
    nets = [co.random_flow_network(rng, 5, 0.6, k, linear=True, integer=True, name=q)
            for k, q in zip((3, 3, 4), "fgh", strict=True)]
    return co.compose(d, nets)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_integer_flows_match_networkx(seed: int) -> None:
    """Integer costs, capacities ``[0, u]`` and supplies: the optimal cost equals
    networkx.min_cost_flow's (network simplex) on the same composite (its optimum may be
    non-unique, so the cost and feasibility are compared)."""
    net = _integer_instance(seed)
    src, tgt = net.edges()
    beta = np.concatenate([leaf.beta for leaf in net.leaves])
    hi = np.concatenate([leaf.upper for leaf in net.leaves])
    b = net.supply()
    g = nx.MultiDiGraph()
    for v in range(net.n):
        g.add_node(v, demand=-round(b[v]))
    for k, (u, v) in enumerate(zip(src.tolist(), tgt.tolist(), strict=True)):
        g.add_edge(u, v, key=k, weight=int(beta[k]), capacity=int(hi[k]))
    flow = nx.min_cost_flow(g)
    x_nx = np.array([flow[u][v][k] for k, (u, v) in enumerate(zip(src.tolist(), tgt.tolist(),
                                                                   strict=True))])
    np.testing.assert_allclose(net.incidence() @ x_nx, b)  # networkx's flow is feasible here
    opt = float(beta @ x_nx)
    s = proximal_dual_decomposition(net, tol=1e-10)
    assert s.converged, s.message
    assert s.cost == pytest.approx(opt, abs=1e-6)
    assert s.conservation <= 1e-8
    assert np.all(s.flows >= -1e-12) and np.all(s.flows <= hi + 1e-12)


def test_broken_variants_are_caught_by_the_same_check() -> None:
    """Plain dual (sub)gradient ascent recovers an infeasible flow; a single proximal step (no
    outer loop: the quadratically regularized problem) recovers a suboptimal one."""
    d, nets, ref = _random_lp(3)
    lp = ref.linprog()
    net = co.compose(d, nets)
    assert _ok(_violation(proximal_dual_decomposition(net).flows, ref, lp))
    system = dual_decomposition(net, diminishing(0.5), carry_primal=False)
    res = run_system(system, np.zeros(system.n), 5000)
    plain = _violation(recover_flows(net, res.x), ref, lp)
    assert not _ok(plain) and plain["conservation"] > 1e-3
    one = proximal_dual_decomposition(net, outer=1)
    assert not one.converged and "ran all 1 outer" in one.message
    v = _violation(one.flows, ref, lp)
    assert not _ok(v) and v["cost"] > 1e-4


def test_quadratic_costs_match_a_kkt_solve() -> None:
    """Strictly convex costs need no proximal term, but the method still solves them: the
    flow matches the KKT solve (no capacities)."""
    rng = np.random.default_rng(7)
    d = co.relation("() :- f(w,x), g(u,w), h(u,w,x)")
    nets = [co.random_flow_network(rng, 5, 0.6, k, name=q)
            for k, q in zip((2, 2, 3), "fgh", strict=True)]
    ref = FlowReference(d, nets)
    s = proximal_dual_decomposition(co.compose(d, nets), t=1.0, tol=1e-10)
    assert s.converged, s.message
    np.testing.assert_allclose(s.flows, ref.kkt_flow(), atol=1e-6)


def test_infeasible_capacities_are_reported_not_hidden() -> None:
    net = OpenFlowNetwork(3, [(0, 1), (1, 2)], linear=[1.0, 1.0], lower=0, upper=[1.0, 0.5],
                          supply=[1.0, 0.0, -1.0])
    s = proximal_dual_decomposition(net, steps=3000)
    assert not s.converged
    assert "no feasible flow" in s.message
    assert s.conservation > 0.4


def test_dual_value_is_minus_infinity_where_a_missing_capacity_is_reached() -> None:
    net = OpenFlowNetwork(2, [(0, 1)], linear=[1.0], lower=0, supply=[1.0, -1.0])
    assert flow_dual_value(net, np.array([0.0, 0.0])) == 0.0
    assert flow_dual_value(net, np.array([0.0, 2.0])) == -np.inf  # reduced cost -1, no upper
    s = proximal_dual_decomposition(net)
    assert s.converged and s.flows == pytest.approx([1.0], abs=1e-9)


@pytest.mark.parametrize("kw, match", [
    ({"t": 0}, r"t \(the proximal step\)"),
    ({"t": -2.0}, r"t \(the proximal step\)"),
    ({"t": "big"}, r"t \(the proximal step\)"),
    ({"step": 0.0}, r"step \(the dual step\)"),
    ({"step": "x"}, r"step \(the dual step\)"),
    ({"tol": 0.0}, "tol must be > 0"),
    ({"outer": 0}, "outer must be an int >= 1"),
    ({"outer": 2.5}, "outer must be an int >= 1"),
    ({"steps": -1}, "steps must be an int >= 1"),
])
def test_bad_arguments_are_named(kw, match) -> None:
    net = OpenFlowNetwork(2, [(0, 1)], linear=[1.0], lower=0, upper=2, supply=[1.0, -1.0])
    with pytest.raises(co.CatoptError, match=match):
        proximal_dual_decomposition(net, **kw)


def test_unbounded_and_non_networks_are_named() -> None:
    net = OpenFlowNetwork(2, [(0, 1), (1, 0)], linear=[1.0, -3.0], lower=0,
                          supply=[1.0, -1.0])
    with pytest.raises(co.NetworkError, match=r"unbounded below: edges .*'1->0'"):
        proximal_dual_decomposition(net)
    with pytest.raises(co.NetworkError, match="takes an OpenFlowNetwork"):
        proximal_dual_decomposition(co.relation("() :- f(x)"))


def test_a_non_differentiable_general_cost() -> None:
    """Costs ``w |x| + beta x`` given as ``cost=``/``dcost=`` (a subgradient selection, sign(0)
    = 0): piecewise linear and not strictly convex, each proximal subproblem is solved by
    scipy's root finder per edge. The flow matches HiGHS on the split LP ``x = p - q`` and the
    optimum worked out by hand: 0.8 units along 0->1->2 (0.8 per unit, capacity 0.8), 0.2 on
    0->2 (2.2 per unit)."""
    from scipy.optimize import linprog

    w, beta = np.array([1.0, 0.5, 2.0]), np.array([0.3, -1.0, 0.2])
    hi = np.array([1.0, 0.8, 2.0])
    net = OpenFlowNetwork(3, [(0, 1), (1, 2), (0, 2)],
                          cost=lambda x, e: w[e] * np.abs(x) + beta[e] * x,
                          dcost=lambda x, e: w[e] * np.sign(x) + beta[e], lower=-hi, upper=hi,
                          supply=[1.0, 0.0, -1.0])
    s = proximal_dual_decomposition(net, 1.0, tol=1e-9)
    assert s.converged, s.message
    A = net.incidence().toarray()
    lp = linprog(np.concatenate([w + beta, w - beta]), A_eq=np.hstack([A, -A]),
                 b_eq=net.supply(), bounds=[(0, u) for u in hi] * 2, method="highs")
    np.testing.assert_allclose(s.flows, lp.x[:3] - lp.x[3:], atol=1e-6)
    np.testing.assert_allclose(s.flows, [0.8, 0.8, 0.2], atol=1e-6)
    assert s.cost == pytest.approx(1.08, abs=1e-6)
    assert s.dual_value == pytest.approx(1.08, abs=1e-6)


def test_a_checkpointed_run_resumes_to_the_same_flows(tmp_path) -> None:
    """Three outer iterations saved, then resumed: the same flows, bit for bit, as one run;
    another network's checkpoint is refused."""
    net = two_glued_networks()
    full = proximal_dual_decomposition(net, t=0.5, tol=1e-10)
    assert full.converged and full.outer_iterations > 3
    part = proximal_dual_decomposition(net, t=0.5, tol=1e-10, outer=3, checkpoint=tmp_path)
    assert not part.converged and part.outer_iterations == 3
    resumed = proximal_dual_decomposition(net, t=0.5, tol=1e-10, resume=tmp_path)
    np.testing.assert_array_equal(resumed.flows, full.flows)
    np.testing.assert_array_equal(resumed.multipliers, full.multipliers)
    assert resumed.moves == full.moves and resumed.inner_steps == full.inner_steps
    with pytest.raises(co.CheckpointError, match="method"):
        proximal_dual_decomposition(net, t=0.25, tol=1e-10, resume=tmp_path)


def test_ctrl_c_in_a_subproblem_saves_the_last_outer_iteration(tmp_path) -> None:
    net = OpenFlowNetwork(4, [(0, 1), (1, 3), (0, 2), (2, 3), (1, 2)],
                          linear=[1.0, 2.0, 2.0, 1.0, 0.5], lower=0,
                          upper=[1.5, 2.0, 2.0, 1.0, 1.0], supply=[2.0, 0.0, 0.0, -2.0])
    full = proximal_dual_decomposition(net, t=0.5, tol=1e-10)
    calls = []

    def ctrl_c_later(t, lam, value, norm):
        calls.append(t)
        if len(calls) == 40:  # inside some subproblem after the first
            raise KeyboardInterrupt

    with pytest.raises(co.RunInterrupted, match="resume with proximal_dual_decomposition") \
            as info:
        proximal_dual_decomposition(net, t=0.5, tol=1e-10, checkpoint=tmp_path,
                                    callback=ctrl_c_later)
    assert info.value.checkpoint is not None and info.value.iteration >= 1
    resumed = proximal_dual_decomposition(net, t=0.5, tol=1e-10, resume=tmp_path)
    np.testing.assert_array_equal(resumed.flows, full.flows)


def test_a_tiny_t_does_not_claim_convergence_at_a_suboptimal_flow() -> None:
    """With ``t = 1e-9`` an outer move is about ``t`` times a subgradient: tiny at a flow far
    from optimal. The stopping rule must not take that for convergence (it did: cost 5.333
    reported converged, its own dual value 3.57). The optimum is 5 (LP by hand: one unit
    along 0-1-2 at cost 2, one along 0-2 at cost 3), checked by linprog."""
    from scipy.optimize import linprog

    net = OpenFlowNetwork(3, [(0, 1), (1, 2), (0, 2)], linear=[1, 1, 3], lower=0,
                          upper=[1, 1, 5], supply=[2, 0, -2])
    lp = linprog([1, 1, 3], A_eq=net.incidence().toarray(), b_eq=net.supply(),
                 bounds=[(0, 1), (0, 1), (0, 5)], method="highs")
    assert lp.fun == pytest.approx(5.0)
    for t in (1e-9, 1e-2):
        s = proximal_dual_decomposition(net, t, outer=200)
        if s.converged:
            assert s.cost == pytest.approx(5.0, abs=1e-7), s.message
            assert s.cost - s.dual_value <= 1e-8
        else:
            assert "ran all 200 outer" in s.message and "small t" in s.message
    good = proximal_dual_decomposition(net)
    assert good.converged and good.cost == pytest.approx(5.0, abs=1e-8)
    assert "duality gap" in good.message


def test_convergence_without_a_finite_dual_value_says_so() -> None:
    """An uncapacitated linear edge: its reduced cost at the end is a rounding-sized number of
    either sign, so the dual value may be -inf; the run still converges to the one feasible
    flow, and the message says which certificate it had."""
    net = OpenFlowNetwork(3, [(0, 1), (1, 2)], linear=[1.0, 2.0], supply=[1.0, 0.0, -1.0])
    s = proximal_dual_decomposition(net, tol=1e-10)
    assert s.converged and s.flows == pytest.approx([1.0, 1.0], abs=1e-9)
    assert ("duality gap" in s.message) == bool(np.isfinite(s.dual_value))
    assert ("no gap certificate" in s.message) == (s.dual_value == -np.inf)


def test_flows_and_multipliers_that_are_not_numbers_are_named() -> None:
    """Strings were a bare ValueError from numpy; now a NetworkError naming the argument and
    the length expected (one per edge, one per node)."""
    net = OpenFlowNetwork(3, [(0, 1), (1, 2), (0, 2)], linear=[1, 1, 3], lower=0,
                          upper=[1, 1, 5], supply=[2, 0, -2])
    with pytest.raises(co.NetworkError, match="flows must be 3 numbers, one per edge; got 'abc'"):
        flow_cost(net, "abc")
    with pytest.raises(co.NetworkError, match="flows must be 3 numbers, one per edge"):
        flow_cost(net, [1.0, 2.0])
    with pytest.raises(co.NetworkError, match="lam must be 3 numbers, one per node; got"):
        flow_dual_value(net, ["a", "b", "c"])
    with pytest.raises(co.NetworkError, match=r"lam must be 3 numbers.*shape \(4,\)"):
        flow_dual_value(net, np.zeros(4))
    with pytest.raises(co.NetworkError, match="centre must be 3 numbers, one per edge"):
        co.proximal_network(net, 1.0, ["a", "b", "c"])
    assert flow_cost(net, [1, 1, 1]) == 5.0  # and numbers still work
