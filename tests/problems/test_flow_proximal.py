"""The proximal network is natural (leaf by leaf, composites and nested composites), and
``check_bounded`` finds exactly the networks whose linear program is unbounded."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import catopt as co
from catopt.problems.flow_proximal import check_bounded, proximal_network
from catopt.problems.flows import OpenFlowNetwork, to_problem
from tests.helpers.flows import FlowReference, fill_networks, scalar_diagram
from tests.strategies import seeds


def _square(d, nets, t, centre, prox=proximal_network) -> float:
    """The largest deviation of the Lagrangians of ``prox(compose(d, nets))`` and
    ``compose(d, [prox(n_i)])`` from the proximal Lagrangian assembled independently, at a
    random point."""
    ref = FlowReference(d, nets)
    offs = np.cumsum([0] + [n.n_edges for n in nets])
    left = to_problem(prox(co.compose(d, nets), t, centre))
    right = co.compose(d, [to_problem(prox(n, t, centre[offs[i]:offs[i + 1]]))
                           for i, n in enumerate(nets)])
    z = np.random.default_rng(len(centre)).standard_normal(left.n)
    want = ref.proximal_lagrangian(z, t, centre)
    worst = 0.0
    for L in (left, right):
        p = ref.perm(L.labels)
        zz = np.empty_like(z)
        zz[p] = z
        worst = max(worst, abs(L.lagrangian(zz) - want) / max(1.0, abs(want)))
    return worst


@given(seeds)
@settings(max_examples=30)
def test_proximal_network_is_natural(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = scalar_diagram(rng)
    nets = fill_networks(rng, d, capacities=True, linear=bool(rng.integers(2)))
    m = sum(n.n_edges for n in nets)
    centre = rng.standard_normal(m)
    t = float(rng.uniform(0.1, 10.0))
    assert _square(d, nets, t, centre) <= 1e-12


def test_a_proximal_step_scaled_per_network_is_caught() -> None:
    """A broken 'proximal network' whose step depends on the network it is given (here its
    number of edges) is not natural, and the same square catches it."""

    def broken(net, t, centre):
        return proximal_network(net, t * net.n_edges, centre)

    rng = np.random.default_rng(5)
    d = co.relation("() :- f(w,x), g(w,x)")
    nets = fill_networks(rng, d, capacities=True, linear=True)
    centre = rng.standard_normal(sum(n.n_edges for n in nets))
    assert _square(d, nets, 0.7, centre) <= 1e-12
    assert _square(d, nets, 0.7, centre, broken) > 1e-3


def test_proximal_network_of_a_nested_composite() -> None:
    """The components are mapped too: proximal of a nested composite equals proximal of the
    same network composed along the substituted (flat) diagram, leaf by leaf."""
    rng = np.random.default_rng(2)
    d = co.relation("(a) :- f(w,a), g(u,w), h(u,w)")
    e = co.relation("(p,q) :- s(p,m), t(m,q)")
    inner = [co.random_flow_network(rng, 5, 0.6, 2, capacities=True, linear=True)
             for _ in range(2)]
    outer = [co.random_flow_network(rng, 5, 0.6, k, capacities=True, linear=True)
             for k in (2, 2, 2)]
    nested = co.compose(d, [outer[0], co.compose(e, inner), outer[2]])
    flat = co.compose(d.substitute({1: e}), [outer[0], *inner, outer[2]])
    centre = rng.standard_normal(nested.n_edges)
    pn, pf = proximal_network(nested, 0.5, centre), proximal_network(flat, 0.5, centre)
    assert [c.n_edges for c in pn.parts.components] == [outer[0].n_edges,
                                                        inner[0].n_edges + inner[1].n_edges,
                                                        outer[2].n_edges]
    mid = pn.parts.components[1]
    np.testing.assert_array_equal(
        np.concatenate([lf.beta for lf in mid.leaves]),
        np.concatenate([lf.beta for lf in pf.leaves[1:3]]))
    for a, b in zip(pn.leaves, pf.leaves, strict=True):
        for attr in ("a", "beta", "gamma", "lower", "upper", "supply"):
            np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    # the proximal network's costs at the centre: c(z) + 0, and its slope c'(z)
    leaf, z = pn.leaves[0], centre[:outer[0].n_edges]
    np.testing.assert_allclose(leaf.edge_cost(z), outer[0].leaves[0].edge_cost(z), atol=1e-12)
    np.testing.assert_allclose(leaf.edge_dcost(z), outer[0].leaves[0].edge_dcost(z), atol=1e-12)


def test_proximal_network_of_general_costs() -> None:
    w = np.array([1.0, 2.0])
    net = OpenFlowNetwork(2, [(0, 1), (1, 0)], cost=lambda x, e: w[e] * x**4,
                          dcost=lambda x, e: 4 * w[e] * x**3)
    z = np.array([0.5, -1.0])
    leaf = proximal_network(net, 0.25, z).leaves[0]
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(leaf.edge_cost(x), w * x**4 + (x - z) ** 2 / 0.5)
    np.testing.assert_allclose(leaf.edge_dcost(x), 4 * w * x**3 + (x - z) / 0.25)


@pytest.mark.parametrize("t", [0, -1.0, np.nan, np.inf, "big", None])
def test_a_bad_proximal_step_is_named(t) -> None:
    net = OpenFlowNetwork(2, [(0, 1)], linear=[1.0], lower=0, upper=1)
    with pytest.raises(co.CatoptError, match=r"t \(the proximal step\)"):
        proximal_network(net, t, [0.0])


def test_a_bad_centre_is_named() -> None:
    net = OpenFlowNetwork(2, [(0, 1)], linear=[1.0], lower=0, upper=1)
    with pytest.raises(co.NetworkError, match=r"centre must be 1 numbers, one per edge.*"
                                              r"got shape \(2,\)"):
        proximal_network(net, 1.0, [0.0, 1.0])
    with pytest.raises(co.NetworkError, match="centre must be 1 numbers, one per edge; got"):
        proximal_network(net, 1.0, ["a"])
    with pytest.raises(co.NetworkError, match="centre has a non-finite entry at edge 0"):
        proximal_network(net, 1.0, [np.nan])
    with pytest.raises(co.NetworkError, match="takes an OpenFlowNetwork"):
        proximal_network("net", 1.0, [0.0])


def test_an_unbounded_cycle_is_named() -> None:
    # 0 -> 1 costs 1 with no upper capacity, 1 -> 0 costs -2 with none: a cycle of cost -1
    net = OpenFlowNetwork(3, [(0, 1), (1, 0), (1, 2)], linear=[1.0, -2.0, 5.0],
                          lower=[0, 0, 0], upper=[np.inf, np.inf, 1.0])
    with pytest.raises(co.NetworkError, match=r"unbounded below: edges \[.*'1->0'.*\] form a "
                                              r"cycle of linear cost -1"):
        check_bounded(net)
    # the same reversed edge with a capacity: bounded
    check_bounded(OpenFlowNetwork(3, [(0, 1), (1, 0)], linear=[1.0, -2.0], lower=0,
                                  upper=[np.inf, 3.0]))
    # a self-loop of negative cost without an upper capacity is a cycle by itself
    with pytest.raises(co.NetworkError, match=r"edges \['1->1'\]"):
        check_bounded(OpenFlowNetwork(2, [(0, 1), (1, 1)], linear=[1.0, -1.0], lower=0))
    # quadratic edges never make it unbounded
    check_bounded(OpenFlowNetwork(2, [(0, 1), (1, 0)], quadratic=[0.0, 1.0], linear=[1.0, -2.0]))


@given(seeds)
@settings(max_examples=25, deadline=None)
def test_check_bounded_agrees_with_highs(seed: int) -> None:
    """On random networks with some capacities removed and edges flipped, check_bounded
    raises exactly when HiGHS finds the (feasible) linear program unbounded (about 40% of
    these draws are unbounded)."""
    from scipy.optimize import linprog

    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 7))
    net = co.random_flow_network(rng, n, 0.7, 0, capacities=True, linear=True, feasible=True)
    leaf = net.leaves[0]
    drop = rng.random(leaf.n_edges) < 0.8
    lo = np.where(drop & (rng.random(leaf.n_edges) < 0.5), -np.inf, leaf.lower)
    hi = np.where(drop, np.inf, leaf.upper)
    flip = rng.random(leaf.n_edges) < 0.5  # directed cycles among the uncapacitated edges
    src, tgt = np.where(flip, leaf.tgt, leaf.src), np.where(flip, leaf.src, leaf.tgt)
    net = OpenFlowNetwork(n, list(zip(src.tolist(), tgt.tolist(), strict=True)),
                          linear=leaf.beta, lower=lo, upper=hi,
                          supply=leaf.supply)
    # the supplies of the unflipped network are feasible for it; flipping edge e with a
    # symmetric range [-u, u] keeps the same flows feasible (negated on e)
    res = linprog(leaf.beta, A_eq=net.incidence().toarray(), b_eq=net.supply(),
                  bounds=[(a if np.isfinite(a) else None, b if np.isfinite(b) else None)
                          for a, b in zip(lo, hi, strict=True)], method="highs")
    assert res.status in (0, 3)
    if res.status == 3:
        with pytest.raises(co.NetworkError, match="unbounded below"):
            check_bounded(net)
    else:
        check_bounded(net)
