"""catopt's performance, as ratios measured in one run against baselines timed alongside.

    python benchmarks/run.py [--quick]

(a) one composite gradient step (value and gradient) against a hand-fused numpy
    implementation of the same composite, at 10 to 10,000 boxes of 20 variables sharing
    junctions: catopt with distinct boxes (numpy gradients), with autograd boxes, and with a
    box family (one batched autograd call);
(b) against the per-element nested-closure style of AlgebraicOptimization.py (boxes composed
    two at a time into nested closures, each copying states in and gradients out with a
    Python loop over every element), and against one flat level of it;
(c) scaling in boxes and variables up to 10^6 variables: time per step and peak memory;
(d) the local engine against the MPI engine per step;
(e) 400 boxes with distinct autograd objectives: the composite gradient against the sum of
    the boxes' own gradients;
(f) sheaf diffusion on a random sheaf with 10^4 vertices of stalk dimension 4: a step of
    ``solve`` on the sheaf's composite against a hand-written scipy.sparse step, and the
    build time against size (benchmarks/sheaf_diffusion.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import tracemalloc
from pathlib import Path

import autograd.numpy as anp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import catopt as co  # noqa: E402

N_VARS, N_PORTS = 20, 5


def diagram(B: int, rng: np.random.Generator) -> co.UWD:
    """B boxes, each with N_PORTS ports on random distinct junctions among 2B."""
    b = co.UWDBuilder()
    for k in range(B):
        js = rng.choice(2 * B, size=N_PORTS, replace=False)
        b.box(f"b{k}", [f"j{j}" for j in js])
    return b.build()


def data(B: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    M = rng.standard_normal((B, N_VARS, N_VARS))
    P = np.einsum("bij,bkj->bik", M, M) / N_VARS + np.eye(N_VARS)
    return P, rng.standard_normal((B, N_VARS))


def distinct_numpy(P, a) -> list[co.OpenProblem]:
    return [co.OpenProblem(lambda x, P=P[k], a=a[k]: float(0.5 * x @ P @ x + a @ x), N_VARS,
                           ports=list(range(N_PORTS)), grad=lambda x, P=P[k], a=a[k]: P @ x + a)
            for k in range(len(a))]


def distinct_autograd(P, a) -> list[co.OpenProblem]:
    return [co.OpenProblem(lambda x, P=P[k], a=a[k]: 0.5 * anp.dot(x, anp.dot(P, x))
                           + anp.dot(a, x), N_VARS, ports=list(range(N_PORTS)))
            for k in range(len(a))]


def family(P, a, manual: bool = False) -> list[co.OpenProblem]:
    def objective(X, P, a):  # written over the batch axis, as the hand-fused step is
        PX = anp.einsum("bij,bj->bi", P, X)
        return anp.sum(X * (0.5 * PX + a), 1)

    def grad(X, P, a):
        return np.einsum("bij,bj->bi", P, X) + a

    return co.BoxFamily(objective, N_VARS, ports=list(range(N_PORTS)), data={"P": P, "a": a},
                        grad=grad if manual else None).problems()


def jax_family(P, a, manual: bool = False) -> list[co.OpenProblem]:
    """The same boxes as a JAX family: the objective written for one box, vmapped by JAX."""
    import jax.numpy as jnp

    return co.BoxFamily(lambda x, P, a: jnp.dot(x, 0.5 * jnp.dot(P, x) + a), N_VARS,
                        ports=list(range(N_PORTS)), data={"P": P, "a": a}, backend="jax",
                        grad=(lambda x, P, a: jnp.dot(P, x) + a) if manual else None
                        ).problems()  # the hand gradient uses that P is symmetric


def hand_fused(idx: np.ndarray, P: np.ndarray, a: np.ndarray, n: int):
    """The whole composite's value and gradient written by hand in numpy."""
    B = len(a)

    def step(y: np.ndarray) -> tuple[float, np.ndarray]:
        X = y[idx].reshape(B, N_VARS)
        PX = np.einsum("bij,bj->bi", P, X)
        v = float(np.sum(X * (0.5 * PX + a)))
        return v, np.bincount(idx, weights=(PX + a).ravel(), minlength=n)

    return step


RUN_STEPS, RUN_ETA = 100, 1e-3


def fused_run(fused):
    """Gradient descent with the hand-fused step, recording value and gradient norm per
    step as ``solve`` does: the numpy baseline of a run."""

    def run(y: np.ndarray) -> np.ndarray:
        for _ in range(RUN_STEPS):
            v, g = fused(y)
            float(np.sqrt(g @ g))
            y = y - RUN_ETA * g
        return y

    return run


def jax_run(c: co.OpenProblem):
    """``solve(c, engine="jax")`` for RUN_STEPS steps: chunks of jitted steps."""

    def run(y: np.ndarray) -> np.ndarray:
        return co.solve(c, y, step=RUN_ETA, steps=RUN_STEPS, engine="jax").x

    return run


def flat_loop(idx: np.ndarray, P: np.ndarray, a: np.ndarray, n: int):
    """A lean lower bound of the closure style: one flat Python loop over every element to
    gather and to scatter, around one closure per box (no nesting)."""
    B = len(a)
    rows = [idx[k * N_VARS:(k + 1) * N_VARS].tolist() for k in range(B)]
    boxes = [(lambda x, P=P[k], a=a[k]: (float(0.5 * x @ P @ x + a @ x), P @ x + a))
             for k in range(B)]

    def step(y: np.ndarray) -> tuple[float, list[float]]:
        out = [0.0] * n
        total = 0.0
        for k in range(B):
            xb = np.array([y[i] for i in rows[k]])          # gather, element by element
            v, g = boxes[k](xb)
            total += v
            for i, gi in zip(rows[k], g, strict=True):      # scatter, element by element
                out[i] += gi
        return total, out

    return step


def closure_style(idx: np.ndarray, P: np.ndarray, a: np.ndarray, n: int):
    """AlgebraicOptimization.py's style: boxes composed two at a time (its ``laxator``), each
    composite a closure around its two parts that copies their states in and their gradients
    out with a Python loop over every element. We nest the pairs as a balanced tree (a left
    fold, as its examples do, costs quadratic time and exceeds Python's recursion limit near
    1,000 boxes), so this baseline is the style at its most favourable."""

    def leaf(k: int):
        Pk, ak = P[k], a[k]
        return (idx[k * N_VARS:(k + 1) * N_VARS].tolist(),
                lambda x: (float(0.5 * x @ Pk @ x + ak @ x), Pk @ x + ak))

    def laxator(left, right):
        (c1, f1), (c2, f2) = left, right
        coords = list(dict.fromkeys(c1 + c2))              # the pushout's coordinates
        where = {c: i for i, c in enumerate(coords)}
        map1, map2 = [where[c] for c in c1], [where[c] for c in c2]
        d1, d2, d = len(c1), len(c2), len(coords)

        def composed(x: np.ndarray) -> tuple[float, np.ndarray]:
            x1 = np.zeros(d1)
            for old, new in enumerate(map1):
                x1[old] = x[new]
            x2 = np.zeros(d2)
            for old, new in enumerate(map2):
                x2[old] = x[new]
            v1, g1 = f1(x1)
            v2, g2 = f2(x2)
            g = np.zeros(d)
            for i in range(d1):
                g[map1[i]] += g1[i]
            for j in range(d2):
                g[map2[j]] += g2[j]
            return v1 + v2, g

        return coords, composed

    level = [leaf(k) for k in range(len(a))]
    while len(level) > 1:
        level = [laxator(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    coords, top = level[0]
    order = np.asarray(coords)

    def step(y: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = top(y[order])
        out = np.zeros(n)
        out[order] = g
        return v, out

    return step


def timeit(fn, y, repeat: int) -> float:
    """Median seconds per call (after one warm-up call)."""
    fn(y)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(y)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def time_interleaved(fns: dict, y, repeat: int) -> dict:
    """Median seconds per call of each function, timed in interleaved rounds (each function
    once per round), so that a load burst on a shared machine hits every candidate alike.
    Each timed call follows an untimed one, so caches are warm as in a run of many steps."""
    times: dict = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            fn(y)
            t = time.perf_counter()
            fn(y)
            times[k].append(time.perf_counter() - t)
    return {k: float(np.median(v)) for k, v in times.items()}


class _Echo(list):
    """A report's lines, each printed (and flushed) as it is added: a --quick run takes
    minutes, and it used to print nothing until the end."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.extend(lines)

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)

    def extend(self, lines) -> None:  # type: ignore[override]
        for line in lines:
            self.append(line)

    def __iadd__(self, lines):  # type: ignore[override]
        self.extend(lines)
        return self


TARGET_BOXES = 1000  # the targets are stated at 1,000 quadratic boxes of 20 variables


def part_a_b(sizes: list[int], repeat: int, rng: np.random.Generator,
             found: dict) -> list[str]:
    lines = _Echo(["(a, b) one gradient step, ratio to the hand-fused numpy step (lower is "
                   "better)",
             f"{'boxes':>8} {'fused numpy':>12} {'distinct':>9} {'autograd':>9} "
             f"{'family':>8} {'family+grad':>12} {'jax':>7} {'jax+grad':>9} {'jax run':>8} "
             f"{'jax run+grad':>13} {'closures':>9} "
             f"{'flat loop':>10} {'closures/family':>16} {'closures/best':>14}"])
    for B in sizes:
        d = diagram(B, rng)
        P, a = data(B, rng)
        c_np = co.compose(d, distinct_numpy(P, a))
        c_ag = co.compose(d, distinct_autograd(P, a))
        c_fam = co.fuse_families(co.compose(d, family(P, a)))
        c_fam_g = co.fuse_families(co.compose(d, family(P, a, manual=True)))
        n, idx = c_np.n, c_np.gather_index
        y = rng.standard_normal(n)
        fused = hand_fused(idx, P, a, n)
        ref_v, ref_g = fused(y)
        for c in (c_np, c_ag, c_fam, c_fam_g):  # every path computes the same numbers
            v, g = c.program.value_and_grad(y)
            assert np.isclose(v, ref_v) and np.allclose(g, ref_g)
        r = max(5, repeat * max(1, 100 // B) // max(1, B // 100))
        cl = closure_style(idx, P, a, n)
        v_cl, g_cl = cl(y)
        assert np.isclose(v_cl, ref_v) and np.allclose(g_cl, ref_g)
        fns = {"fused": fused, "np": c_np.program.value_and_grad, "ag": c_ag.program.value_and_grad,
               "fam": c_fam.program.value_and_grad, "fam_g": c_fam_g.program.value_and_grad,
               "cl": cl, "flat": flat_loop(idx, P, a, n)}
        try:
            from catopt.engines.jax_step import jax_step

            c_jax = co.fuse_families(co.compose(d, jax_family(P, a)))
            c_jax_g = co.fuse_families(co.compose(d, jax_family(P, a, manual=True)))
            js, js_g = jax_step(c_jax), jax_step(c_jax_g)
            assert np.allclose(js(y)[1], ref_g) and np.allclose(js_g(y)[1], ref_g)
            fns.update(jax=js, jax_g=js_g)
            runs = {"fused_run": fused_run(fused), "jax_run": jax_run(c_jax),
                    "jax_run_g": jax_run(c_jax_g)}
            x_ref = runs["fused_run"](y)
            assert np.allclose(runs["jax_run"](y), x_ref)
        except ImportError:
            runs = {}
        ts = time_interleaved(fns, y, r)
        tr = time_interleaved(runs, y, max(5, r // 10)) if runs else {}
        t_run = tr.get("fused_run", np.nan)
        t_jrun, t_jrun_g = tr.get("jax_run", np.nan), tr.get("jax_run_g", np.nan)
        t_fused, t_np, t_ag, t_fam, t_fam_g = (ts[k] for k in ("fused", "np", "ag", "fam",
                                                                "fam_g"))
        t_cl, t_flat = ts["cl"], ts["flat"]
        t_jax, t_jax_g = ts.get("jax", np.nan), ts.get("jax_g", np.nan)
        t_best = np.nanmin([t_fam, t_fam_g, t_jax, t_jax_g])
        if B == TARGET_BOXES:
            found.update(family=t_fam / t_fused, jax_run=t_jrun / t_run, jax=t_jax / t_fused,
                         closures_family=t_cl / t_fam, closures_best=t_cl / t_best)
        lines.append(f"{B:>8} {t_fused * 1e3:>10.3f}ms {t_np / t_fused:>8.1f}x "
                     f"{t_ag / t_fused:>8.1f}x {t_fam / t_fused:>7.2f}x "
                     f"{t_fam_g / t_fused:>11.2f}x {t_jax / t_fused:>6.2f}x "
                     f"{t_jax_g / t_fused:>8.2f}x {t_jrun / t_run:>7.2f}x "
                     f"{t_jrun_g / t_run:>12.2f}x {t_cl / t_fused:>8.1f}x "
                     f"{t_flat / t_fused:>9.1f}x {t_cl / t_fam:>15.1f}x {t_cl / t_best:>13.1f}x")
    lines += [
        "  distinct: one numpy gradient call per box; autograd: one autograd call per box;",
        "  family: one batched autograd call (fuse_families); family+grad: a batched "
        "hand-written gradient;",
        "  jax: the whole step jitted, one call per step (a JAX family: vmap of value_and_grad,",
        "  segment_sum; nan without jax); jax+grad: the same with a per-box gradient by hand;",
        f"  jax run: solve(engine='jax') for {RUN_STEPS} steps (chunks of steps in one jitted "
        "call), per step,",
        "  against the hand-fused step run as gradient descent (value, gradient norm, update);",
        "  jax run+grad: the same with the per-box gradient by hand;",
        "  closures: AlgebraicOptimization.py's style (pairwise nested closures, a Python loop",
        "  over every element at every level); flat loop: one level of it (a lower bound);",
        "  closures/family: the closure style over catopt's autograd family path;",
        "  closures/best: over catopt's fastest path for that size (higher is better)",
    ]
    return lines


def part_c(sizes: list[int], rng: np.random.Generator, found: dict) -> list[str]:
    lines = _Echo(["(c) scaling of the family path: time per step and peak memory (compose "
                   "+ step)",
                   f"{'boxes':>8} {'variables':>10} {'ms/step':>9} {'ns/var':>8} "
                   f"{'peak MB':>9} {'bytes/var':>10}"])
    for B in sizes:
        d = diagram(B, rng)
        P, a = data(B, rng)
        tracemalloc.start()
        c = co.fuse_families(co.compose(d, family(P, a)))
        y = rng.standard_normal(c.n)
        c.program.value_and_grad(y)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        data_bytes = P.nbytes + a.nbytes
        t = timeit(c.program.value_and_grad, y, 5)
        found.setdefault("bytes_per_var", []).append((peak - data_bytes) / c.n)
        lines.append(f"{B:>8} {c.n:>10} {t * 1e3:>9.2f} {t / c.n * 1e9:>8.1f} "
                     f"{peak / 1e6:>9.1f} {(peak - data_bytes) / c.n:>10.0f}")
    lines.append("  bytes/var excludes the boxes' own data (P and a); it stays flat: memory is "
                 "linear in size")
    return lines


def part_d(rng: np.random.Generator) -> list[str]:
    lines = _Echo(["(d) local against MPI engine, per step (200 autograd boxes; launch cost "
                   "cancelled by differencing two run lengths)"])
    if shutil.which("mpiexec") is None:
        lines.append("  not available: no mpiexec on this machine")
        return lines
    d = diagram(200, rng)
    P, a = data(200, rng)
    c = co.compose(d, distinct_autograd(P, a))
    x0 = rng.standard_normal(c.n)

    def per_step(**kw) -> float:
        t0 = time.perf_counter()
        co.solve(c, x0, step=1e-3, steps=20, **kw)
        t1 = time.perf_counter()
        co.solve(c, x0, step=1e-3, steps=220, **kw)
        t2 = time.perf_counter()
        return ((t2 - t1) - (t1 - t0)) / 200

    local = per_step(engine="local")
    for w in (1, 2):
        try:
            mpi = per_step(engine="mpi", workers=w)
        except co.CatoptError as e:
            lines.append(f"  MPI failed: {e}")
            return lines
        lines.append(f"  workers={w}: local {local * 1e3:.2f} ms/step, MPI {mpi * 1e3:.2f} "
                     f"ms/step, ratio MPI/local {mpi / local:.2f}")
    return lines


def part_e(rng: np.random.Generator, repeat: int, found: dict) -> list[str]:
    B = 400
    d = diagram(B, rng)
    probs = []
    for k in range(B):
        A = rng.standard_normal((N_VARS, N_VARS))
        c = rng.standard_normal(N_VARS)
        probs.append(co.OpenProblem(
            lambda x, A=A, c=c, k=k: anp.sum(anp.tanh(anp.dot(A, x) + 0.01 * k)) + anp.dot(c, x),
            N_VARS, ports=list(range(N_PORTS))))
    comp = co.compose(d, probs)
    y = rng.standard_normal(comp.n)
    idx, offs = comp.gather_index, comp.block_offsets
    xs = [y[idx[offs[k]:offs[k + 1]]] for k in range(B)]

    def own(_: np.ndarray) -> None:
        for p, x in zip(probs, xs, strict=True):
            p.value_and_grad(x)

    ratios = []
    for _ in range(repeat):
        ratios.append(timeit(comp.value_and_grad, y, 1) / timeit(own, y, 1))
    found["distinct"] = float(np.median(ratios))
    return _Echo([f"(e) 400 distinct autograd boxes: composite gradient / sum of the boxes' "
                  f"own gradients = {np.median(ratios):.3f} (median of {repeat}; target "
                  f"<= 1.1)"])


def part_f(quick: bool, found: dict) -> None:
    """Sheaf diffusion (benchmarks/sheaf_diffusion.py prints its own rows)."""
    print("(f) sheaf diffusion: catopt's composite against scipy.sparse, and build time",
          flush=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from sheaf_diffusion import main as sheaf_main

    r = sheaf_main(["--quick"] if quick else [])
    found.update(sheaf=r["ratio"], sheaf_build=r["build_exponent"])


def targets(found: dict) -> list[str]:
    """The issue's targets against this run's numbers (nan: not measured, e.g. no jax)."""
    bpv = found.get("bytes_per_var", [np.nan])
    spread = max(bpv) / min(bpv)
    rows = [
        ("family path on autograd <= 3x hand-fused numpy", found.get("family", np.nan), 3.0,
         "{:.2f}x"),
        ("family path on JAX <= 1.5x (solve(engine='jax'), autodiff)",
         found.get("jax_run", np.nan), 1.5, "{:.2f}x"),
        ("catopt >= 30x faster than the closure style (autograd family)",
         found.get("closures_family", np.nan), -30.0, "{:.1f}x"),
        ("distinct objectives <= 1.1x the boxes' own gradients", found.get("distinct", np.nan),
         1.1, "{:.3f}x"),
        (f"memory linear: bytes/variable within 1.25x ({min(bpv):.0f}-{max(bpv):.0f})", spread,
         1.25, "{:.2f}x"),
        ("sheaf diffusion step (solve) <= 1.5x scipy.sparse (10^4 vertices)",
         found.get("sheaf", np.nan), 1.5, "{:.2f}x"),
        ("building a sheaf and its problem is linear: size exponent <= 1.15",
         found.get("sheaf_build", np.nan), 1.15, "{:.2f}"),
    ]
    lines = _Echo([f"targets at {TARGET_BOXES:,} boxes of {N_VARS} variables, and for sheaf "
                   f"diffusion (from the numbers above)"])
    for what, value, bound, fmt in rows:
        ok = value >= -bound if bound < 0 else value <= bound
        verdict = "n/a" if not np.isfinite(value) else ("met" if ok else "NOT MET")
        lines.append(f"  {what:<66} {fmt.format(value):>14}  {verdict}")
    lines.append(f"  (JAX, one jitted call per step: {found.get('jax', np.nan):.2f}x; the "
                 f"closure style over catopt's best path: "
                 f"{found.get('closures_best', np.nan):.1f}x)")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    if args.quick:
        sizes, scaling, repeat = [10, 100, 1000, 10_000], [1000, 5000, 10_000], 7
    else:
        sizes, scaling, repeat = [10, 100, 1000, 10_000], [1000, 10_000, 60_000], 15
    found: dict = {}
    print(f"benchmarks ({'quick' if args.quick else 'full'}): each part prints its rows as they "
          f"are measured", flush=True)
    part_a_b(sizes, repeat, rng, found)  # every part prints its lines as it goes
    print(flush=True)
    part_c(scaling, rng, found)
    print(flush=True)
    part_d(rng)
    print(flush=True)
    part_e(rng, 5 if args.quick else 11, found)
    print(flush=True)
    part_f(args.quick, found)
    print(flush=True)
    targets(found)
    print(f"\n(measured in one run in {time.perf_counter() - t:.0f} s; numpy "
          f"{np.__version__}, python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
