"""Exact sharing against decentralized copies on the multitask problem (sheaf issue, item 5).

The multitask UWD of ``examples/multitask.py``: one ``W0`` junction shared by the task boxes,
each task with a private head. The tanh network there is nonconvex (no closed-form optimum,
and copies started alike can settle at different stationary points), so the comparison uses
the family's least-squares member: task ``i`` predicts ``X_i (W0 + w_i)``, a shared coefficient
vector plus a private correction (regularized multitask learning, Evgeniou and Pontil 2004),

    f_i(W0, w_i) = 1/(2m) |X_i (W0 + w_i) - y_i|^2 + lam/2 |w_i|^2 + mu/(2N) |W0|^2,

with ``lam = 0.1`` (how far a task may move from the shared vector) and ``mu = 0.01``. Its
minimizer is computed independently by ``np.linalg.lstsq`` on the stacked design.

Methods, all from zero, all counted:
- exact sharing: catopt's ``solve`` on the composite (gradient descent; the junction sums the
  boxes' gradients: one reduction per step, ``N`` messages in and ``N`` out), step ``1 / L``;
- decentralized copies (``catopt.sheaves.decentralized``), each task keeps its own ``W0`` and
  talks only to its neighbours on a ring and on a random graph (Erdős–Rényi, resampled until
  connected), lazy Metropolis weights: gradient tracking and DGD, step ``1 / L_loc``.

The step rule. Exact sharing sees the composite's curvature ``L = lambda_max(H)``. A copy sees
its own task's: agent ``i`` steps ``W0`` by ``alpha N grad f_i`` and ``w_i`` by
``alpha grad f_i``, so its curvature is ``L_loc = max_i lambda_max(D^(1/2) H_i D^(1/2))``,
``D = diag(N I, I)`` (``N`` times one task's curvature, where ``L`` sums ``N`` different
ones). With lazy Metropolis weights (eigenvalues in ``[0, 1]``) the rule ``alpha = 1 / L_loc``
is stable in every run here; the printed sweep tries 0.5, 1 and 1.3 times it on the ring.

Run: ``python examples/decentralized_multitask.py [--quick] [--tasks N] [--outdir DIR]
[--seed S]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import autograd.numpy as anp
import numpy as np

import catopt as co
from catopt.sheaves.decentralized import (
    dgd,
    gradient_tracking,
    mixing_matrix,
    random_connected_graph,
    ring,
)
from examples.multitask import hard_sharing

#: features per task, training points per task, ridge on the private corrections and on W0
D_FEAT, M_SAMPLES, LAM, MU = 8, 15, 0.1, 0.01
#: edge probability of the random graphs, and their mixing weights
P_EDGE, MIXING = 0.3, "lazy-metropolis"
#: the accuracies the table reports
TOLS = (1e-4, 1e-8)


def linear_tasks(rng: np.random.Generator, n_tasks: int, m: int = M_SAMPLES,
                 d: int = D_FEAT, spread: float = 0.3, noise: float = 0.1
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Related tasks: ``y_i = X_i (s* + v_i*) + noise``, ``v_i*`` a small task deviation."""
    s = rng.standard_normal(d)
    out = []
    for _ in range(n_tasks):
        X = rng.standard_normal((m, d))
        out.append((X, X @ (s + spread * rng.standard_normal(d)) + noise * rng.standard_normal(m)))
    return out


def task_problem(X: np.ndarray, y: np.ndarray, n_tasks: int, name: str) -> co.OpenProblem:
    """One task's box: the shared ``W0`` (a ``d x 1`` junction) exposed, ``w`` private."""
    m, d = X.shape

    def loss(W0, w):
        r = anp.dot(X, W0[:, 0] + w) - y
        return (0.5 * anp.sum(r**2) / m + 0.5 * LAM * anp.sum(w**2)
                + 0.5 * MU / n_tasks * anp.sum(W0**2))

    return co.OpenProblem(loss, {"W0": (d, 1), "w": (d,)}, ports=["W0"], name=name)


def exact_optimum(data: list[tuple[np.ndarray, np.ndarray]]
                  ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """``(W0*, w*, L, mu)`` by least squares on the stacked design ``A z = b``
    (``z = (W0, w_1, ..., w_N)``; task rows ``[X_i, 0.., X_i, ..0] / sqrt(m)``, ridge rows
    ``sqrt(lam) I``, ``sqrt(mu) I``); ``L`` and ``mu`` are ``A``'s extreme squared singular
    values (the objective is ``1/2 |A z - b|^2`` up to a constant)."""
    n, (m, d) = len(data), data[0][0].shape
    blocks, rhs = [], []
    for i, (X, y) in enumerate(data):
        row = np.zeros((m, d * (n + 1)))
        row[:, :d] = row[:, d * (i + 1):d * (i + 2)] = X / np.sqrt(m)
        blocks.append(row)
        rhs.append(y / np.sqrt(m))
    ridge = np.zeros((d * (n + 1), d * (n + 1)))
    ridge[:d, :d] = np.sqrt(MU) * np.eye(d)
    ridge[d:, d:] = np.sqrt(LAM) * np.eye(d * n)
    A = np.vstack(blocks + [ridge])
    b = np.concatenate(rhs + [np.zeros(d * (n + 1))])
    z, *_ = np.linalg.lstsq(A, b, rcond=None)
    sv = np.linalg.svd(A, compute_uv=False)
    return z[:d], z[d:].reshape(n, d), float(sv[0] ** 2), float(sv[-1] ** 2)


def local_grads(data: list[tuple[np.ndarray, np.ndarray]]
                ) -> list[Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]]:
    """Each task's gradient with respect to its copy of ``W0`` and its ``w_i`` (closed form)."""
    n = len(data)

    def grad(X: np.ndarray, y: np.ndarray):
        m = X.shape[0]

        def g(s: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            common = X.T @ (X @ (s + p) - y) / m
            return common + MU / n * s, common + LAM * p
        return g

    return [grad(X, y) for X, y in data]


def local_curvature(data: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """``L_loc = max_i lambda_max(D^(1/2) H_i D^(1/2))``, ``D = diag(N I, I)``: the largest
    curvature a copy's update (shared step ``alpha N``, private ``alpha``) sees."""
    n = len(data)
    out = 0.0
    for X, _ in data:
        G = X.T @ X / X.shape[0]
        d = len(G)
        Hs = np.block([[n * (G + MU / n * np.eye(d)), np.sqrt(n) * G],
                       [np.sqrt(n) * G, G + LAM * np.eye(d)]])
        out = max(out, float(np.linalg.eigvalsh(Hs)[-1]))
    return out


def reached(errors: np.ndarray, tol: float) -> int | None:
    """The first iteration ``t`` from which ``errors[t:] <= tol`` (``errors[t]`` is the error
    after ``t`` iterations); None if the last one is above ``tol``."""
    bad = np.nonzero(~(np.asarray(errors) <= tol))[0]  # NaN counts as not reached
    if len(bad) == 0:
        return 0
    return int(bad[-1]) + 1 if bad[-1] + 1 < len(errors) else None


def compare(data: list[tuple[np.ndarray, np.ndarray]], graph_seed: int, iters: int,
            exact_iters: int, sweep_steps: bool = True) -> dict:
    """Every method on one multitask instance; rows of the comparison table."""
    n = len(data)
    d = data[0][0].shape[1]
    s_star, P_star, L, mu = exact_optimum(data)
    X_star = np.hstack([np.tile(s_star, (n, 1)), P_star])
    norm = float(np.linalg.norm(X_star))

    def rel(S: np.ndarray, P) -> float:
        return float(np.linalg.norm(np.hstack([S, np.stack(P)]) - X_star) / norm)

    # exact sharing: gradient descent on the composite, through catopt
    problem = hard_sharing([task_problem(X, y, n, f"task{i}") for i, (X, y) in enumerate(data)],
                           d, 1)
    grads = local_grads(data)

    def split(x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        parts = problem.unpack(x)
        return np.tile(parts["W0"][:, 0], (n, 1)), [parts[f"task{i}.w"] for i in range(n)]

    # the decentralized agents' gradients are the composite's: they sum to it
    x_test = np.random.default_rng(1).standard_normal(problem.n)
    S, P = split(x_test)
    parts = [g(S[i], P[i]) for i, g in enumerate(grads)]
    glued = problem.unpack(problem.gradient(x_test))
    mismatch = max(float(np.abs(sum(p[0] for p in parts) - glued["W0"][:, 0]).max()),
                   max(float(np.abs(parts[i][1] - glued[f"task{i}.w"]).max())
                       for i in range(n)))

    errs: list[float] = []

    def watch(t: int, x: np.ndarray, f: float, g: float) -> bool:
        errs.append(rel(*split(x)))
        return errs[-1] <= 1e-12

    r = co.solve(problem, np.zeros(problem.n), step=1.0 / L, steps=exact_iters, callback=watch)
    if len(errs) == r.iterations:  # ran every step: the last state is not yet recorded
        errs.append(rel(*split(r.x)))
    e = np.asarray(errs)
    rows = [_row("exact sharing (catopt solve)", "star (one reduction)", 1.0 / L, e,
                 rounds=1, messages=2 * n, floats=2 * n * d, grads=n, grads0=0)]
    rows[-1]["state"] = split(r.x)

    graphs = {"ring": ring(n), "random": random_connected_graph(n, P_EDGE, graph_seed)}
    L_loc = local_curvature(data)
    alpha = 1.0 / L_loc
    gaps = {}
    for gname, edges in graphs.items():
        ev = np.sort(np.linalg.eigvalsh(mixing_matrix(n, edges, MIXING).toarray()))
        gaps[gname] = float(1 - ev[-2]) if n > 1 else 1.0
        budget = iters
        for method, run, grads0 in (("gradient tracking", gradient_tracking, n),
                                    ("DGD", dgd, 0)):
            # DGD gets the iterations gradient tracking took to 1e-12 on the same graph
            res = run(grads, edges, np.zeros(d), p0=[np.zeros(d)] * n, step=alpha,
                      iters=budget, mixing=MIXING, monitor=rel, tol=1e-12)
            budget = res.iterations
            e = np.concatenate([[1.0], res.history])
            per = res.iterations
            rows.append(_row(method, f"{gname} ({len(edges)} edges)", alpha, e,
                             rounds=res.rounds // per, messages=res.messages // per,
                             floats=res.floats // per, grads=n, grads0=grads0,
                             consensus=float(np.abs(res.S - res.S.mean(0)).max())))
            rows[-1]["edges"] = len(edges)
            rows[-1]["state"] = (res.S, res.P)
    # the step rule's margin: gradient tracking on the ring at multiples of 1 / L_loc
    sweep: dict[float, str] = {}
    for c in (0.5, 1.0, 1.3) if sweep_steps else ():
        try:
            with np.errstate(all="ignore"):
                res = gradient_tracking(grads, graphs["ring"], np.zeros(d),
                                        p0=[np.zeros(d)] * n, step=c * alpha, iters=iters,
                                        mixing=MIXING, monitor=rel, tol=1e-8)
            sweep[c] = (str(res.iterations) if res.history[-1] <= 1e-8
                        else f"not in {iters} (error {res.history[-1]:.0e})")
        except co.DivergenceError as err:
            sweep[c] = f"diverged (NaN at iteration {err.iteration + 1})"
    return {"n": n, "L": L, "mu": mu, "L_loc": L_loc, "alpha": alpha, "gaps": gaps,
            "rows": rows, "sweep": sweep, "grad_mismatch": mismatch, "graphs": graphs,
            "solution": (s_star, P_star)}


def _row(method: str, graph: str, step: float, errors: np.ndarray, *, rounds: int,
         messages: int, floats: int, grads: int, grads0: int, consensus: float = 0.0) -> dict:
    """One table row: iterations to each tolerance and the counts at that point (per
    iteration counts times iterations, plus the start-up gradient calls)."""
    tail = float(errors[(3 * (len(errors) - 1)) // 4])
    row = {"method": method, "graph": graph, "step": step, "errors": errors,
           "final": float(errors[-1]), "iterations_run": len(errors) - 1,
           "plateau": bool(errors[-1] >= 0.9 * tail),
           "consensus": consensus, "per_iteration": (rounds, messages, floats, grads)}
    for tol in TOLS:
        t = reached(errors, tol)
        row[tol] = None if t is None else {"iterations": t, "rounds": rounds * t,
                                           "messages": messages * t, "floats": floats * t,
                                           "gradient_calls": grads * t + grads0}
    return row


def table(res: dict) -> str:
    lines = ["| method | graph | iterations to 1e-4 | iterations to 1e-8 | rounds | messages "
             "| numbers sent | gradient calls |", "|" + "---|" * 8]
    for r in res["rows"]:
        a, b = r[1e-4], r[1e-8]
        if b is not None:
            counts = f"{b['rounds']} | {b['messages']} | {b['floats']} | {b['gradient_calls']}"
        else:
            rd, ms, fl, gr = r["per_iteration"]
            t = r["iterations_run"]
            counts = (f"{rd}/iter | {ms}/iter | {fl}/iter | {gr}/iter "
                      f"(run: {t} iterations)")
        short = (f"not reached (plateau {r['final']:.1e})" if r["plateau"] else
                 f"not reached in {r['iterations_run']} (error {r['final']:.1e}, falling)")
        to_a = str(a["iterations"]) if a else short
        to_b = str(b["iterations"]) if b else short
        lines.append(f"| {r['method']} | {r['graph']} | {to_a} | {to_b} | {counts} |")
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.2), squeeze=False)
    styles = {"exact sharing (catopt solve)": ("k", "-"), "gradient tracking": (None, "-"),
              "DGD": (None, "--")}
    colors = {"ring": "tab:blue", "random": "tab:orange"}
    for ax, res in zip(axes[0], results, strict=True):
        for r in res["rows"]:
            color, ls = styles[r["method"]]
            gname = r["graph"].split()[0]
            color = color or colors[gname]
            label = r["method"] if r["method"].startswith("exact") else f"{r['method']}, {gname}"
            e = np.asarray(r["errors"])
            wide = r["method"] == "gradient tracking" and gname == "ring"  # seen under random
            ax.semilogy(np.arange(len(e)), np.maximum(e, 1e-16), color=color, ls=ls,
                        label=label, lw=3.5 if wide else 1.4, alpha=0.55 if wide else 1.0)
        for tol in TOLS:
            ax.axhline(tol, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("iteration (one reduction or one neighbour round each)")
        ax.set_ylabel("relative error to the least-squares optimum")
        ax.set_title(f"{res['n']} tasks: L = {res['L']:.1f}, mu = {res['mu']:.3f}, "
                     f"L_loc = {res['L_loc']:.1f}")
        ax.set_ylim(1e-13, 3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and fast (tests)")
    parser.add_argument("--outdir", type=Path, default=None, help="where to write the figure")
    parser.add_argument("--tasks", type=int, default=None,
                        help="run this number of tasks only (default: 8 and 32; --quick: 4)")
    parser.add_argument("--seed", type=int, default=0,
                        help="N tasks use the instance and random graph of seed + N")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    sizes = [4] if args.quick else [8, 32]
    if args.tasks is not None:
        if args.tasks < 2:
            raise co.CatoptError(f"--tasks must be at least 2, got {args.tasks}")
        sizes = [args.tasks]
    results = []
    for k, n in enumerate(sizes):
        iters = 4000 if args.quick else (12000 if n <= 8 else 60000)
        seed = args.seed + n
        res = compare(linear_tasks(np.random.default_rng(seed), n), graph_seed=seed,
                      iters=iters, exact_iters=iters, sweep_steps=k == 0)
        results.append(res)
        gaps = ", ".join(f"{g} {v:.3f}" for g, v in res["gaps"].items())
        print(f"\n{n} tasks, {D_FEAT} features, {M_SAMPLES} points each (seed {seed}): "
              f"L = {res['L']:.2f}, mu = {res['mu']:.4f} (kappa {res['L'] / res['mu']:.0f}), "
              f"L_loc = {res['L_loc']:.2f}; exact step 1/L = {1 / res['L']:.4f}, "
              f"decentralized step 1/L_loc = {res['alpha']:.4f}; spectral gaps ({MIXING}): "
              f"{gaps}")
        print(f"  the agents' gradients sum to the composite's: mismatch "
              f"{res['grad_mismatch']:.1e}")
        print(table(res))
        if res["sweep"]:
            sweep = ", ".join(f"{c} x: {v}" for c, v in res["sweep"].items())
            print(f"  gradient tracking on the ring, iterations to 1e-8 at multiples of "
                  f"1/L_loc: {sweep}")
    if args.outdir is not None:
        args.outdir.mkdir(parents=True, exist_ok=True)
        plot(results, args.outdir / "decentralized_multitask.png")
        print(f"\nfigure: {args.outdir / 'decentralized_multitask.png'}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return {"results": results}


if __name__ == "__main__":
    main()
