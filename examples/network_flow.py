"""Standard against hierarchical dual decomposition on composite flow networks (the
experiment of Hanks et al. 2024, section on minimum-cost network flow).

Three random subnetworks are glued by one UWD, ``(a,y,z) :- f(w,x,a), g(u,w,y),
h(u,w,x,z)`` (3, 3 and 4 boundary nodes; the composite has 3N - 4 nodes). Each subnetwork is
an Erdos-Renyi G(N, p) graph resampled until connected, with random quadratic edge costs
``a x^2 + b x + c`` (a ~ U(0,1), b, c ~ +-U(0,1)) and four nonzero supplies summing to zero.
Both algorithms run 10 dual iterations at step 0.01 from lam = 0:

- standard: ``standard_dual_decomposition(compose(d, nets))``, the composite flattened into one
  network (one incidence matrix over all nodes);
- hierarchical: ``compose(d, [dual_decomposition(n) for n in nets])``, the composite of the
  per-network dual systems (each subnetwork on its own nodes, increments summed on the
  shared ones).

Both run on the node multipliers alone (``carry_primal=False``); the edge flows are recovered
from the final multipliers by ``recover_flows``.

Their iterates are checked equal, then each is timed (best of 3) and its peak memory measured
(tracemalloc) over two sweeps: nodes per subnetwork 10..150 at p = 0.2, and p = 0.1..1.0 at
80 nodes. The table of ratios is printed and the six panels are drawn.

Run: ``python examples/network_flow.py [--quick] [--outdir DIR]``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import numpy as np

import catopt as co

DIAGRAM = "(a,y,z) :- f(w,x,a), g(u,w,y), h(u,w,x,z)"
STEP, ITERS = 0.01, 10


def networks(rng: np.random.Generator, n: int, p: float) -> tuple[co.UWD, list]:
    d = co.relation(DIAGRAM)
    return d, [co.random_flow_network(rng, n, p, k, name=q)
               for k, q in zip((3, 3, 4), "fgh", strict=True)]


def run(system, iters: int = ITERS) -> np.ndarray:
    z = np.zeros(system.n)
    for t in range(iters):
        z = system.update(z, t)
    return z


def measure(system) -> tuple[float, float]:
    """(best time of 3 runs in seconds, peak traced memory in bytes) of ITERS iterations."""
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        run(system)
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    run(system)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, float(peak)


def point(rng: np.random.Generator, n: int, p: float) -> dict:
    d, nets = networks(rng, n, p)
    comp = co.compose(d, nets)
    # both on the node multipliers alone, as in AlgebraicOptimization.jl (flows recovered
    # from the multipliers at the end, outside the timing)
    std = co.standard_dual_decomposition(comp, STEP, carry_primal=False)
    hier = co.hierarchical_dual_decomposition(d, nets, STEP, carry_primal=False)
    assert std.labels == hier.labels == comp.labels
    zs, zh = run(std), run(hier)
    diff = float(np.max(np.abs(zs - zh)) / max(1.0, np.max(np.abs(zs))))
    flows = co.recover_flows(comp, zh)
    assert flows.shape == (comp.n_edges,)
    ts, ms = measure(std)
    th, mh = measure(hier)
    return {"n": n, "p": p, "nodes": comp.n, "edges": comp.n_edges, "t_std": ts, "t_hier": th,
            "mem_std": ms, "mem_hier": mh, "speedup": ts / th, "mem_ratio": ms / mh,
            "difference": diff}


def plot(size: list[dict], conn: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(3, 2, figsize=(10, 11))
    for col, (rows, key, label) in enumerate(((size, "n", "nodes per subnetwork"),
                                              (conn, "p", "edge probability"))):
        x = [r[key] for r in rows]
        ax[0, col].plot(x, [1e3 * r["t_std"] for r in rows], "o-", label="standard DD")
        ax[0, col].plot(x, [1e3 * r["t_hier"] for r in rows], "s-", label="hierarchical DD")
        ax[0, col].set_ylabel(f"time of {ITERS} iterations (ms)")
        ax[1, col].plot(x, [r["mem_std"] / 2**20 for r in rows], "o-", label="standard DD")
        ax[1, col].plot(x, [r["mem_hier"] / 2**20 for r in rows], "s-", label="hierarchical DD")
        ax[1, col].set_ylabel("peak memory (MiB)")
        ax[2, col].plot(x, [r["speedup"] for r in rows], "o-", label="time standard / hier.")
        ax[2, col].plot(x, [r["mem_ratio"] for r in rows], "s-", label="memory standard / hier.")
        ax[2, col].axhline(1.0, color="gray", lw=0.8)
        ax[2, col].set_ylabel("ratio")
        for r in range(3):
            ax[r, col].set_xlabel(label)
            ax[r, col].legend(fontsize=8)
    ax[0, 0].set_title("Speed vs. graph size")
    ax[0, 1].set_title("Speed vs. graph connectivity")
    ax[1, 0].set_title("Memory usage vs. graph size")
    ax[1, 1].set_title("Memory usage vs. graph connectivity")
    ax[2, 0].set_title("Relative performance vs. graph size")
    ax[2, 1].set_title("Relative performance vs. graph connectivity")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def table(rows: list[dict], key: str) -> None:
    print(f"  {key:>5} {'nodes':>6} {'edges':>7} {'t_std ms':>9} {'t_hier ms':>9} "
          f"{'time ratio':>10} {'mem ratio':>9} {'max rel diff':>12}")
    for r in rows:
        print(f"  {r[key]:>5.4g} {r['nodes']:>6} {r['edges']:>7} {1e3 * r['t_std']:>9.3f} "
              f"{1e3 * r['t_hier']:>9.3f} {r['speedup']:>10.2f} {r['mem_ratio']:>9.2f} "
              f"{r['difference']:>12.1e}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small sweep (tests)")
    parser.add_argument("--outdir", type=Path, default=None, help="where to write the figure")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    sizes = [10, 20] if args.quick else list(range(10, 151, 10))
    probs = [0.2, 0.6] if args.quick else [round(0.1 * k, 1) for k in range(1, 11)]
    n_conn = 20 if args.quick else 80
    size = [point(rng, n, 0.2) for n in sizes]
    print(f"sweep 1: nodes per subnetwork, p = 0.2 ({ITERS} iterations, step {STEP})")
    table(size, "n")
    conn = [point(rng, n_conn, p) for p in probs]
    print(f"sweep 2: edge probability, {n_conn} nodes per subnetwork")
    table(conn, "p")
    out = {"size": size, "connectivity": conn,
           "max_difference": max(r["difference"] for r in size + conn)}
    if args.outdir is not None:
        args.outdir.mkdir(parents=True, exist_ok=True)
        plot(size, conn, args.outdir / "network_flow.png")
    return out


if __name__ == "__main__":
    main()
