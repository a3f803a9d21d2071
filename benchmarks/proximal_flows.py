"""Exact minimum-cost flows for linear costs with capacities: the proximal point method with
dual decomposition against scipy's HiGHS, on random composite networks.

    python benchmarks/proximal_flows.py [--instances N] [--nodes n] [--quick]
    python benchmarks/proximal_flows.py --random-diagrams N

Each instance is three Erdos-Renyi subnetworks ``G(n, 0.3)`` (resampled until connected)
glued along the paper's UWD ``(a,y,z) :- f(w,x,a), g(u,w,y), h(u,w,x,z)``, with linear edge
costs ``beta ~ +-U(0, 1)``, capacities ``[-u, u]`` with ``u ~ U(0.5, 2)``, and supplies
``b = A x0`` of a random flow inside the capacities (so the network is feasible). For each it
runs ``proximal_dual_decomposition`` (hierarchical, default ``t`` and dual step, ``tol``
1e-10), solves the same linear program with HiGHS on the composite assembled by hand (dense
incidence matrix), certifies HiGHS's optimum unique when its zero-reduced-cost edges form a
forest, and prints, per instance and in summary: outer iterations, dual steps, time, the
conservation residual, the cost difference, and the largest flow difference (unique optima).

``--random-diagrams N`` instead runs seeds ``0..N-1`` of the test suite's generator (random
scalar diagrams of up to three boxes filled with small random networks, as in
``tests/engines/test_proximal_flows.py``) against the independently assembled reference
(``tests/helpers/flows.py``) and prints one summary line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.optimize import linprog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import catopt as co  # noqa: E402
from catopt.engines.proximal_flows import proximal_dual_decomposition  # noqa: E402

PAPER = "(a,y,z) :- f(w,x,a), g(u,w,y), h(u,w,x,z)"


def instance(seed: int, n: int) -> co.OpenFlowNetwork:
    rng = np.random.default_rng(seed)
    nets = [co.random_flow_network(rng, n, 0.3, k, capacities=True, linear=True,
                                   feasible=True, name=q)
            for k, q in zip((3, 3, 4), "fgh", strict=True)]
    return co.compose(co.relation(PAPER), nets)


def highs(net: co.OpenFlowNetwork) -> tuple[np.ndarray, float, bool]:
    """HiGHS on the composite's data, and the uniqueness certificate."""
    src, tgt = net.edges()
    m = len(src)
    A = np.zeros((net.n, m))
    A[src, np.arange(m)] += 1.0
    A[tgt, np.arange(m)] -= 1.0
    beta = np.concatenate([leaf.beta for leaf in net.leaves])
    lo = np.concatenate([leaf.lower for leaf in net.leaves])
    hi = np.concatenate([leaf.upper for leaf in net.leaves])
    res = linprog(beta, A_eq=A, b_eq=net.supply(), bounds=list(zip(lo, hi, strict=True)),
                  method="highs")
    assert res.status == 0, res.message
    reduced = beta - A.T @ res.eqlin.marginals
    g = nx.MultiGraph()
    g.add_nodes_from(range(net.n))
    g.add_edges_from((int(src[e]), int(tgt[e])) for e in
                     np.flatnonzero(np.abs(reduced) <= 1e-9))
    gamma = sum(float(leaf.gamma.sum()) for leaf in net.leaves)
    return res.x, float(res.fun) + gamma, nx.is_forest(g)


def random_diagrams(count: int) -> str:
    """The test suite's instances, seeds ``0..count-1``: one summary line."""
    from tests.helpers.flows import FlowReference, fill_networks, scalar_diagram

    bad, uniq, flow_err, cost_err, outs, ins = 0, 0, 0.0, 0.0, [], []
    t0 = time.perf_counter()
    for seed in range(count):
        rng = np.random.default_rng(seed)
        d = scalar_diagram(rng, max_boxes=3)
        nets = fill_networks(rng, d, capacities=True, linear=True, feasible=True)
        ref = FlowReference(d, nets)
        x_lp, cost_lp, unique = ref.linprog()
        s = proximal_dual_decomposition(co.compose(d, nets), tol=1e-10)
        cons = float(np.max(np.abs(ref.A @ s.flows - ref.b), initial=0.0))
        out = max(np.max(ref.lo - s.flows, initial=0.0), np.max(s.flows - ref.hi, initial=0.0))
        ce = abs(float(ref.beta @ s.flows + ref.gamma.sum()) - cost_lp)
        fe = float(np.max(np.abs(s.flows - x_lp), initial=0.0)) if unique else 0.0
        uniq += unique
        flow_err, cost_err = max(flow_err, fe), max(cost_err, ce)
        outs.append(s.outer_iterations)
        ins.append(s.inner_steps)
        if not (s.converged and cons <= 1e-6 and out <= 1e-12 and ce <= 1e-6 and fe <= 1e-6):
            bad += 1
            print(f"seed {seed}: {s.message}; |Ax-b| {cons:.2e}, cost err {ce:.2e}, "
                  f"flow err {fe:.2e}")
    line = (f"{count} random diagrams: {count - bad} within 1e-6 of HiGHS, {uniq} with a "
            f"certified unique optimum, max flow error {flow_err:.2e}, max cost error "
            f"{cost_err:.2e}, outer iterations median {np.median(outs):.0f} (max {max(outs)}), "
            f"dual steps median {np.median(ins):.0f} (max {max(ins)}), "
            f"{time.perf_counter() - t0:.0f} s")
    print(line)
    return line


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--random-diagrams", type=int, default=None, metavar="N")
    ap.add_argument("--instances", type=int, default=20)
    ap.add_argument("--nodes", type=int, default=15)
    ap.add_argument("--quick", action="store_true", help="3 instances of 8 nodes")
    args = ap.parse_args(argv)
    if args.random_diagrams:
        random_diagrams(args.random_diagrams)
        return []
    count, n = (3, 8) if args.quick else (args.instances, args.nodes)
    rows = []
    print(f"{'seed':>4} {'nodes':>5} {'edges':>5} {'outer':>5} {'dual steps':>10} "
          f"{'time s':>7} {'|Ax-b|':>8} {'cost err':>8} {'flow err':>8} unique")
    for seed in range(count):
        net = instance(seed, n)
        x_lp, cost_lp, unique = highs(net)
        t0 = time.perf_counter()
        s = proximal_dual_decomposition(net, tol=1e-10)
        secs = time.perf_counter() - t0
        row = {"seed": seed, "nodes": net.n, "edges": net.n_edges,
               "outer": s.outer_iterations, "inner": s.inner_steps, "time": secs,
               "conservation": s.conservation, "cost": abs(s.cost - cost_lp),
               "flow": float(np.max(np.abs(s.flows - x_lp))) if unique else float("nan"),
               "unique": unique, "converged": s.converged}
        rows.append(row)
        print(f"{seed:>4} {net.n:>5} {net.n_edges:>5} {s.outer_iterations:>5} "
              f"{s.inner_steps:>10} {secs:>7.2f} {s.conservation:>8.1e} {row['cost']:>8.1e} "
              f"{row['flow']:>8.1e} {unique}", flush=True)
    uniq = [r["flow"] for r in rows if r["unique"]]
    print(f"\n{count} instances ({sum(r['converged'] for r in rows)} converged), "
          f"{len(uniq)} with a certified unique optimum")
    for key, what in (("outer", "outer iterations"), ("inner", "dual steps"),
                      ("time", "seconds")):
        vals = np.array([r[key] for r in rows], dtype=float)
        print(f"  {what}: median {np.median(vals):.4g}, max {vals.max():.4g}")
    print(f"  max |A x - b|: {max(r['conservation'] for r in rows):.2e}")
    print(f"  max |cost - cost_HiGHS|: {max(r['cost'] for r in rows):.2e}")
    if uniq:
        print(f"  max |x - x_HiGHS|_inf (unique optima): {max(uniq):.2e}")
    return rows


if __name__ == "__main__":
    main()
