"""One sheaf-diffusion step through catopt's composite against a scipy.sparse step.

    python benchmarks/sheaf_diffusion.py [--vertices 10000] [--dim 4]

A random sheaf (random spanning tree plus random edges, 3 edges per vertex, Gaussian maps,
vertex and edge stalks of dimension ``dim``). The baseline is ``x - alpha (L x - delta^T b)``
with ``L`` and ``delta^T b`` precomputed (one sparse matrix-vector product); catopt's step is
the composite's value and gradient (one gather, one batched family call for all edges, one
scatter-add) and the update. Also reported: building the sheaf and its problem at two sizes.
Ratios come from one run (best of 20 repeats each).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catopt.sheaves import random_sheaf, to_problem  # noqa: E402


def best(fn, repeats: int = 20) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vertices", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=4)
    args = p.parse_args(argv)
    nv, d = args.vertices, args.dim
    builds = {}
    for size in (nv // 10, nv):
        t = time.perf_counter()
        s = random_sheaf(size, 3 * size, d, d, 0)
        t1 = time.perf_counter()
        prob = to_problem(s, b=np.ones(s.m))
        builds[size] = (t1 - t, time.perf_counter() - t1)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(s.n)
    b = np.ones(s.m)
    L = s.laplacian()
    c = s.coboundary().T @ b
    alpha = 0.01
    vg = prob.value_and_grad
    t_scipy = best(lambda: x - alpha * (L @ x - c))
    t_catopt = best(lambda: x - alpha * vg(x)[1])
    assert np.allclose(x - alpha * vg(x)[1], x - alpha * (L @ x - c))
    print(f"random sheaf: {nv} vertices, {s.n_edges} edges, stalks of dimension {d}")
    print(f"  scipy.sparse step  x - a (L x - delta^T b): {t_scipy * 1e3:8.3f} ms")
    print(f"  catopt composite step (value and gradient): {t_catopt * 1e3:8.3f} ms  "
          f"ratio {t_catopt / t_scipy:.2f}x")
    for size, (ts, tp) in builds.items():
        print(f"  build at {size:>6} vertices: sheaf {ts * 1e3:7.1f} ms, "
              f"problem {tp * 1e3:7.1f} ms")
    return {"ratio": t_catopt / t_scipy, "builds": builds}


if __name__ == "__main__":
    main()
