"""MPI engine benchmark: strong scaling on expensive boxes, and per-step overhead.

1. Strong scaling. Multitask learning with two-layer networks (Algorithm 1 of Hanks et al.):
   task i has data (X_i, Y_i) and loss ``1/2 ||Y_i - tanh(X_i W0) W_i||^2``; the first layer
   W0 is shared by all tasks (one junction), the heads W_i are private. The same problem runs
   on 1, 2 and 4 ranks; we report the time per step of the solve loop (slowest rank's compute
   plus communication, from ``result.stats``) and the speed-up over 1 rank, and check that
   every run ends at the local engine's state.
2. Overhead. A composite of cheap boxes (quadratics on a ring of 2-vectors, with hand-written
   gradients, a few microseconds each): time per step of the
   local engine against the MPI engine on 1 and 2 ranks; the difference is the engine's cost
   per step (gather/scatter bookkeeping and the collectives).

Run: ``PYTHONPATH=. python benchmarks/mpi_scaling.py [--quick]``. Numbers are ratios measured
in one run; on a shared machine absolute times vary.
"""

from __future__ import annotations

import argparse
import os
import time

import autograd.numpy as anp
import numpy as np

import catopt as co


def multitask(tasks: int, m: int, d: int, h: int, seed: int = 0) -> co.OpenProblem:
    rng = np.random.default_rng(seed)
    boxes = [(f"task{i}", ["W0"]) for i in range(tasks)]
    diagram = co.UWD(boxes, [], shapes={"W0": (d, h)})
    probs = []
    for i in range(tasks):
        X = rng.standard_normal((m, d)) / np.sqrt(d)
        Y = np.tanh(X @ rng.standard_normal((d, 1)))

        def loss(W0, Wi, X=X, Y=Y):
            return 0.5 * anp.sum((Y - anp.dot(anp.tanh(anp.dot(X, W0)), Wi)) ** 2) / len(Y)

        probs.append(co.OpenProblem(loss, {"W0": (d, h), "Wi": (h, 1)}, ports=["W0"],
                                    name=f"task{i}"))
    return co.compose(diagram, probs)


def ring(n: int, seed: int = 0) -> co.OpenProblem:
    rng = np.random.default_rng(seed)
    boxes = [(f"b{k}", [f"j{k}", f"j{(k + 1) % n}"]) for k in range(n)]
    probs = []
    for _ in range(n):
        a, c = rng.uniform(0.5, 2), rng.standard_normal(2)
        probs.append(co.OpenProblem(lambda x, a=a, c=c: a * np.sum((x - c) ** 2), 2, [0, 1],
                                    grad=lambda x, a=a, c=c: 2 * a * (x - c)))
    return co.compose(co.UWD(boxes, []), probs)


def loop_time(res: co.SolveResult) -> float:
    """Seconds per step of the slowest rank's loop (compute + communication)."""
    st = res.stats
    per_rank = st["compute_seconds"].sum(axis=1) + st["comm_seconds"].sum(axis=1)
    return float(per_rank.max()) / max(st["compute_seconds"].shape[1], 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller problems, fewer steps")
    args = ap.parse_args()
    tasks, m, d, h, steps = (8, 1000, 40, 40, 40) if args.quick else (8, 4000, 64, 64, 60)
    print(f"machine: {os.cpu_count()} cores (shared with other jobs)")
    print(f"\n1. strong scaling: {tasks} tasks, X_i {m}x{d}, W0 {d}x{h}, {steps} steps")
    p = multitask(tasks, m, d, h)
    x0 = np.random.default_rng(1).standard_normal(p.n) * 0.1
    co.solve(p, x0=x0, step=0.5, steps=2)  # warm up
    t0 = time.perf_counter()
    loc = co.solve(p, x0=x0, step=0.5, steps=steps)
    t_loc = (time.perf_counter() - t0) / (steps + 1)
    print(f"   local engine: {t_loc * 1e3:8.2f} ms/step")
    base = None
    for k in (1, 2, 4):
        t0 = time.perf_counter()
        res = co.solve(p, x0=x0, step=0.5, steps=steps, engine="mpi", workers=k)
        wall = time.perf_counter() - t0
        per = loop_time(res)
        base = per if base is None else base
        comm = res.stats["comm_time"] / max(res.stats["compute_time"]
                                           + res.stats["comm_time"], 1e-12)
        err = float(np.max(np.abs(res.x - loc.x)) / np.max(np.abs(loc.x)))
        print(f"   mpi x{k}: {per * 1e3:8.2f} ms/step  speed-up {base / per:5.2f}  "
              f"comm share {comm:5.1%}  reduction {res.stats['reduction']:9s}  "
              f"bytes/step {res.stats['bytes_per_step']:7d}  wall {wall:5.2f} s  "
              f"|x - x_local|/|x| {err:.1e}")
    n_ring, steps2 = (64, 300) if args.quick else (256, 1000)
    print(f"\n2. per-step overhead: ring of {n_ring} cheap boxes, {steps2} steps")
    q = ring(n_ring)
    co.solve(q, x0=0.0, step=0.05, steps=2)  # warm up
    t0 = time.perf_counter()
    co.solve(q, x0=0.0, step=0.05, steps=steps2)
    t_loc = (time.perf_counter() - t0) / (steps2 + 1)
    print(f"   local engine: {t_loc * 1e6:8.1f} us/step")
    for k in (1, 2):
        for red in ("allreduce", "neighbor"):
            res = co.solve(q, x0=0.0, step=0.05, steps=steps2, engine="mpi", workers=k,
                           reduction=red)
            per = loop_time(res)
            print(f"   mpi x{k} {red:9s}: {per * 1e6:8.1f} us/step  overhead "
                  f"{(per - t_loc / k) * 1e6:+8.1f} us/step vs local/{k}  "
                  f"(compute {res.stats['compute_time'] / (steps2 + 1) * 1e6:.1f} us, "
                  f"comm {res.stats['comm_time'] / (steps2 + 1) * 1e6:.1f} us)")


if __name__ == "__main__":
    main()
