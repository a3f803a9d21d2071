"""Sheaf diffusion through catopt's composite against a hand-written scipy.sparse step.

    python benchmarks/sheaf_diffusion.py [--vertices 10000] [--dim 4] [--quick]

A random sheaf (a random spanning tree plus random edges, 3 edges per vertex, Gaussian
restriction maps, vertex and edge stalks of dimension ``dim``) and a random ``b``.

- **baseline**: ``k`` steps of ``x <- x - alpha (L x - delta^T b)`` written with scipy.sparse,
  ``L`` and ``delta^T b`` precomputed (one sparse matrix-vector product per step);
- **catopt, solve**: ``co.solve(to_problem(sheaf, b), x0, step=alpha, steps=k)``, divided by
  ``k``: what a user runs for sheaf diffusion, the local engine's whole loop (each step the
  composite's objective and field, the field's norm for ``tol`` and the history, the
  finiteness checks of divergence detection, the Euler step), and ``solve``'s own per-call
  cost spread over the ``k`` steps. The problem was solved once before (untimed), as in any
  run of many steps: its gradient flow and the compiled program are built once per problem
  and kept (that first call is reported as set-up, with the build);
- **catopt, kernel**: ``k`` steps of ``x - alpha * program.value_and_grad(x)[1]``, the
  composite's own evaluation without the driver;
- **catopt, generic**: the same kernel through the generic gather / batched family call /
  scatter path (``Program(..., compile=False)``), for comparison with the compiled one.

Every side starts from the same ``x0`` and runs the same ``k`` steps; their final states are
asserted equal to 1e-10, and solve's last objective equal to ``1/2 |delta x - b|^2``. Times
are medians over interleaved rounds (each candidate once per round), so that load on a
shared machine hits all alike. Building the sheaf and its problem is timed at 10^3, 10^4
(and, without --quick, 10^5) vertices, the fastest of 3 builds below 10^5; the exponent of
a power-law fit is reported against 1.15 (linear: at most ~14x per 10x in size), as the
step's ratio is against 1.5: "met" or "NOT MET" (timings are reported, not asserted; the
results are).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import catopt as co  # noqa: E402
from catopt.program import Program  # noqa: E402
from catopt.sheaves import random_sheaf, to_problem  # noqa: E402

#: the issue's target: a step through catopt's composite at most this many scipy steps
TARGET = 1.5
#: the largest exponent of build time against size that counts as linear
LINEAR = 1.15


def say(*args: object) -> None:
    print(*args, flush=True)  # a row as soon as it is measured (run.py prints them live)


def interleaved(fns: dict, rounds: int) -> dict:
    """Median seconds per call of each function, timed in interleaved rounds."""
    times: dict = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return {k: float(np.median(v)) for k, v in times.items()}


def build(nv: int, d: int, rng: np.random.Generator) -> tuple[tuple[float, ...], tuple]:
    """Seconds to build the sheaf, its problem, and the first solve's set-up (flow and
    compiled program); and the sheaf, the problem and its ``b``."""
    t0 = time.perf_counter()
    s = random_sheaf(nv, 3 * nv, d, d, 0)
    b = rng.standard_normal(s.m)
    t1 = time.perf_counter()
    prob = to_problem(s, b=b)
    t2 = time.perf_counter()
    co.solve(prob, np.zeros(s.n), step=1e-3, steps=0)
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2), (s, prob, b)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vertices", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=4)
    p.add_argument("--steps", type=int, default=100, help="k, steps per timed call")
    p.add_argument("--quick", action="store_true", help="fewer rounds; build up to 10^4")
    args = p.parse_args(argv)
    nv, d, k = args.vertices, args.dim, args.steps
    rounds = 7 if args.quick else 15
    rng = np.random.default_rng(1)

    # -- building is linear -------------------------------------------------------------------
    sizes = [1000, 10_000] if args.quick else [1000, 10_000, 100_000]
    builds: dict[int, tuple[float, ...]] = {}
    kept = None
    for size in sorted(set(sizes) | {nv}):
        for _ in range(3 if size <= 10_000 else 1):  # the fastest of 3: load spikes add
            t, objects = build(size, d, rng)
            if size in sizes and (size not in builds or sum(t[:2]) < sum(builds[size][:2])):
                builds[size] = t
            if size == nv:
                kept = objects
            del objects
    assert kept is not None
    s, prob, b = kept
    assert np.isclose(prob.objective(np.zeros(s.n)), 0.5 * b @ b)

    # -- one step, the same k steps on every side -----------------------------------------------
    L = s.laplacian()
    delta = s.coboundary()
    c = delta.T @ b
    x0 = rng.standard_normal(s.n)
    alpha = 0.5 / float(abs(L).sum(axis=1).max())  # below 1 / lambda_max: a stable step
    vg = prob.program.value_and_grad
    P = prob.program
    generic = Program(P.n, P.leaves, P.leaf_names, P.index, P.ring, compile=False).value_and_grad

    def scipy_run() -> np.ndarray:
        x = x0
        for _ in range(k):
            x = x - alpha * (L @ x - c)
        return x

    def solve_run() -> co.SolveResult:
        return co.solve(prob, x0, step=alpha, steps=k)

    def kernel(fn):
        def run() -> np.ndarray:
            x = x0
            for _ in range(k):
                x = x - alpha * fn(x)[1]
            return x
        return run

    x_ref = scipy_run()
    res = solve_run()
    for name, x in (("solve", res.x), ("kernel", kernel(vg)()), ("generic", kernel(generic)())):
        err = float(np.max(np.abs(x - x_ref)))
        assert err <= 1e-10, f"{name} differs from the scipy steps by {err:.3g}"
    r = delta @ res.x - b
    assert abs(res.objective - 0.5 * r @ r) <= 1e-10 * max(1.0, 0.5 * r @ r)
    assert res.iterations == k and len(res.history) == k + 1
    ts = interleaved({"scipy": scipy_run, "solve": solve_run, "kernel": kernel(vg),
                      "generic": kernel(generic)}, rounds)
    per = {name: t / k for name, t in ts.items()}
    ratio = per["solve"] / per["scipy"]

    say(f"random sheaf: {nv} vertices, {s.n_edges} edges, stalks of dimension {d}; "
          f"{k} steps per call, median of {rounds} interleaved rounds")
    say(f"  scipy.sparse step x - a (L x - delta^T b)      {per['scipy'] * 1e3:8.3f} ms")
    say(f"  catopt solve(), per step (what users run)     {per['solve'] * 1e3:8.3f} ms  "
          f"ratio {ratio:.2f}x  (target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT MET'})")
    say(f"  catopt value_and_grad + step (kernel)         {per['kernel'] * 1e3:8.3f} ms  "
          f"ratio {per['kernel'] / per['scipy']:.2f}x")
    say(f"  catopt generic path (compile=False) + step    {per['generic'] * 1e3:8.3f} ms  "
          f"ratio {per['generic'] / per['scipy']:.2f}x")
    say("  build (sheaf + problem; first solve's set-up: flow + compiled operator):")
    for size, (t_s, t_p, t_f) in builds.items():
        say(f"    {size:>7} vertices: sheaf {t_s * 1e3:8.1f} ms, problem {t_p * 1e3:8.1f} ms, "
              f"set-up {t_f * 1e3:8.1f} ms")
    n = np.log10(np.array(sorted(builds), dtype=float))
    total = np.log10([sum(builds[sz][:2]) for sz in sorted(builds)])
    slope = float(np.polyfit(n, total, 1)[0])
    steps10 = [sum(builds[b2][:2]) / sum(builds[b1][:2])
               for b1, b2 in zip(sorted(builds), sorted(builds)[1:], strict=False)]
    say(f"    sheaf + problem: time ~ size^{slope:.2f}; per 10x in size: "
          f"{', '.join(f'{x:.1f}x' for x in steps10)}  (linear: exponent <= {LINEAR}: "
          f"{'met' if slope <= LINEAR else 'NOT MET'})")
    return {"ratio": ratio, "kernel": per["kernel"] / per["scipy"],
            "generic": per["generic"] / per["scipy"], "build_exponent": slope,
            "builds": builds}


if __name__ == "__main__":
    main()
