"""One dual-decomposition iteration on a composite flow network of about 10^5 edges.

    python benchmarks/dual_decomposition.py [--quick]

Three Erdos-Renyi subnetworks glued along the paper's UWD, quadratic edge costs. Times per
iteration (median of repeats, after a warm-up) of

- catopt's standard dual decomposition (the composite flattened into one leaf),
- catopt's hierarchical dual decomposition (one leaf per subnetwork: the composite of the
  per-network dual systems),
- a hand-fused numpy iteration of the same update: closed-form edge minimizers
  ``x = -(beta + lam[src] - lam[tgt]) / (2 a)`` and one sparse incidence matvec
  ``lam += eta (A x - b)``,

and checks that all three give the same multipliers. Prints the ratios to the hand-fused
iteration.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import catopt as co  # noqa: E402


def build(n: int, p: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    d = co.relation("(a,y,z) :- f(w,x,a), g(u,w,y), h(u,w,x,z)")
    nets = [co.random_flow_network(rng, n, p, k, name=q) for k, q in zip((3, 3, 4), "fgh",
                                                                          strict=True)]
    return d, nets


def median_time(fn, reps: int) -> float:
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    n, p, reps = (120, 0.2, 5) if args.quick else (600, 0.185, 15)
    d, nets = build(n, p)
    comp = co.compose(d, nets)
    eta = 0.01
    std = co.standard_dual_decomposition(comp, eta)
    hier = co.hierarchical_dual_decomposition(d, nets, eta)
    # the same systems on the multipliers alone (flows recovered once, at the end)
    std_d = co.standard_dual_decomposition(comp, eta, carry_primal=False)
    hier_d = co.hierarchical_dual_decomposition(d, nets, eta, carry_primal=False)
    flat = comp.flatten()
    leaf = flat.leaves[0]
    A = leaf.matrix()
    src, tgt, beta, b = leaf.src, leaf.tgt, leaf.beta, leaf.supply
    inv2a = 1.0 / (2 * leaf.a)

    def fused(lam: np.ndarray) -> np.ndarray:
        x = -(beta + lam[src] - lam[tgt]) * inv2a
        return lam + eta * (A @ x - b)

    zs, zh, lam = np.zeros(std.n), np.zeros(hier.n), np.zeros(comp.n)
    ls, lh = np.zeros(comp.n), np.zeros(comp.n)
    for t in range(3):  # warm-up, and all agree
        zs, zh, lam = std.update(zs, t), hier.update(zh, t), fused(lam)
        ls, lh = std_d.update(ls, t), hier_d.update(lh, t)
    where = {lab: i for i, lab in enumerate(hier.labels)}
    nodes = np.array([where[lab] for lab in std.labels[:comp.n]])
    scale = max(1.0, float(np.max(np.abs(lam))))
    agree = max(np.max(np.abs(zs[:comp.n] - lam)), np.max(np.abs(zh[nodes] - lam)),
                np.max(np.abs(ls - lam)), np.max(np.abs(lh - lam))) / scale
    t_fused = median_time(lambda: fused(lam), reps)
    times = {
        "standard": median_time(lambda: std.update(zs, 3), reps),
        "hierarchical": median_time(lambda: hier.update(zh, 3), reps),
        "standard, multipliers only": median_time(lambda: std_d.update(ls, 3), reps),
        "hierarchical, multipliers only": median_time(lambda: hier_d.update(lh, 3), reps),
    }
    out = {"edges": float(comp.n_edges), "nodes": float(comp.n), "t_fused": t_fused,
           "relative_difference": agree}
    print(f"composite network: {comp.n} nodes, {comp.n_edges} edges; one iteration "
          f"(median of {reps}):")
    print(f"  {'hand-fused numpy':40s} {1e3 * t_fused:8.3f} ms")
    for name, t in times.items():
        out[f"t_{name}"] = t
        out[f"{name}/fused"] = t / t_fused
        print(f"  {name + ' (catopt)':40s} {1e3 * t:8.3f} ms   ratio {t / t_fused:5.2f}")
    for suffix in ("", ", multipliers only"):
        r = times["hierarchical" + suffix] / times["standard" + suffix]
        out[f"hierarchical/standard{suffix}"] = r
        print(f"  hierarchical / standard{suffix}: {r:4.2f}")
    print(f"  largest difference of the multipliers after 3 iterations, relative to "
          f"max(1, |lam|): {agree:.1e}")
    return out


if __name__ == "__main__":
    main()
