"""Stochastic accelerated gradient descent under interpolation (Mishkin, Pilanci and Schmidt).

An interpolating problem: overparametrized least squares, d > n unknowns,

    f(w) = 1/(2n) |A w - b|^2,     b = A w*   (so every sample's loss is zero at w*),

split row-wise over data-parallel boxes that share w along a UWD. Each box draws its
minibatch from its own stream (``catopt.functor.stochastic``: ``spawn_streams``,
``minibatch_problem``), so the composite's gradient is a stratified minibatch gradient,
unbiased, and zero wherever f is (interpolation). From w0 = 0 every method stays in the row
space of A, where f is mu-strongly convex with mu = the least nonzero eigenvalue of
H = A'A / n; L = the largest.

Strong growth: E|g(w)|^2 <= rho |grad f(w)|^2. For this sampling rho is computed exactly
(:func:`strong_growth`) from the second moment of the sampled Hessians, and checked by Monte
Carlo on the composite's own stochastic gradients.

Compared, all from w0 = 0 with the step eta = 1/(rho L), alpha = sqrt(mu eta),
beta = (1 - alpha)/(1 + alpha), the paper's constant-parameter strongly convex setting:

- SGD: w <- w - eta g(w); it is ``gradient_descent`` of the composite, and composing the
  boxes' own SGD systems along the UWD gives the same iterates (per box: natural);
- SAGD, the momentum form (their Eq. 6): w+ = y - eta g(y), y+ = w+ + beta (w+ - w);
- semi-stochastic AGD (their Eq. 5 with an SGD step as the primal map): the same w-step, but
  the estimating sequence v takes the full gradient:
  y = (alpha v + w)/(1 + alpha), w+ = y - eta g(y), v+ = (1 - alpha) v + alpha y
  - (alpha/mu) grad f(y). It needs a full gradient per step as well as a minibatch one.

The momentum and estimating-sequence states live on the composite's coordinates (one per
junction), built with ``co.OpenDiscreteSystem`` over the composite's gradient: not a per-box
construction (see ``catopt.functor.momentum``).

Measured: iterations to f(w) <= eps f(w0), over several seeds, and SAGD's speed-up over SGD
(or its absence), next to the rates 1 - mu/(rho L) (SGD) and 1 - sqrt(mu/(rho L)) (the rate
version 1 of the paper claimed for SAGD; version 2 withdraws it for the momentum form, and it
stands for the semi-stochastic scheme).

Run: ``python examples/sagd_interpolation.py [--quick] [--outdir DIR]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import autograd.numpy as anp
import numpy as np

import catopt as co
from catopt.functor.stochastic import minibatch_problem, spawn_streams


def problem_data(n: int, d: int, cond: float, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (n x d, d > n) with singular values spread geometrically over a factor sqrt(cond)
    (so L/mu = cond on the row space), and b = A w* with w* in the row space."""
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    V, _ = np.linalg.qr(rng.standard_normal((d, n)))
    s = np.sqrt(n) * np.geomspace(1.0, 1.0 / np.sqrt(cond), n)
    A = (U * s) @ V.T
    w_star = V @ rng.standard_normal(n)
    return A, A @ w_star, w_star


def diagram(boxes: int, d: int) -> co.UWD:
    b = co.UWDBuilder()
    b.junction("w", (d,))
    for k in range(boxes):
        b.box(f"shard{k}", ["w"])
    return b.build()


def shards(A: np.ndarray, b: np.ndarray, boxes: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(zip(np.split(A, boxes), np.split(b, boxes), strict=True))


def stochastic_boxes(A: np.ndarray, b: np.ndarray, boxes: int, batch: int, seed: int
                     ) -> list[co.OpenProblem]:
    """Box k: (n_k / n) times the mean over a fresh minibatch of its rows of
    (a_i . w - b_i)^2 / 2, drawn from the k-th stream spawned from ``seed``."""
    n, d = A.shape
    streams = spawn_streams(boxes, seed)
    out = []
    for k, ((Ak, bk), rng) in enumerate(zip(shards(A, b, boxes), streams, strict=True)):
        share = len(bk) / n

        def loss(w, X, y, share=share):
            r = anp.dot(X, w) - y
            return share * 0.5 * anp.mean(r * r)

        out.append(minibatch_problem(loss, {"w": (d,)}, ["w"], {"X": Ak, "y": bk}, batch, rng,
                                     name=f"shard{k}"))
    return out


def full_family(A: np.ndarray, b: np.ndarray, boxes: int, backend: str = "autograd"
                ) -> co.OpenProblem:
    """The full-data composite: one box family over the shards (on autograd or JAX)."""
    n, d = A.shape
    As, bs = np.stack(np.split(A, boxes)), np.stack(np.split(b, boxes))
    if backend == "jax":
        import jax.numpy as jnp

        def one(w, A, b):
            return 0.5 * jnp.sum((A @ w - b) ** 2) / n
    else:

        def one(W, A, b):  # batched over boxes
            return 0.5 * anp.sum((anp.einsum("kid,kd->ki", A, W) - b) ** 2, 1) / n

    fam = co.BoxFamily(one, {"w": (d,)}, ["w"], data={"A": As, "b": bs}, name="shard",
                       backend=backend)
    return co.fuse_families(co.compose(diagram(boxes, d), fam.problems()))


def constants(A: np.ndarray, boxes: int, batch: int) -> dict[str, float]:
    """L, mu (on the row space) and the exact strong-growth constant rho of the stratified
    sampling: ``batch`` rows without replacement from each of the ``boxes`` shards.

    With e = w - w*, the stochastic gradient is g = (1/B) sum_k H_{S_k} e (H_S the mean of
    a_i a_i' over S) and grad f = H e. For s of N rows without replacement,
    E[H_S^2] = (1/s^2) [ (s/N) sum_i |a_i|^2 a_i a_i'
    + s(s-1)/(N(N-1)) (N^2 H_k^2 - sum_i |a_i|^2 a_i a_i') ];
    the shards are independent, so E[g g'] = e' M e with
    M = H^2 + (1/B^2) sum_k (E[H_{S_k}^2] - H_k^2), and rho = max over e in the row space
    of e'Me / e'H^2 e."""
    n, d = A.shape
    H = A.T @ A / n
    lam, Q = np.linalg.eigh(H)
    keep = lam > 1e-10 * lam[-1]
    lam, Q = lam[keep], Q[:, keep]
    M = H @ H
    s = batch
    for Ak in np.split(A, boxes):
        N = len(Ak)
        Hk = Ak.T @ Ak / N
        diag = (Ak * np.sum(Ak**2, 1)[:, None]).T @ Ak  # sum_i |a_i|^2 a_i a_i'
        pair = s * (s - 1) / (N * (N - 1)) if N > 1 else 0.0
        EHs2 = ((s / N) * diag + pair * (N**2 * Hk @ Hk - diag)) / s**2
        M += (EHs2 - Hk @ Hk) / boxes**2
    R = (Q.T @ M @ Q) / np.outer(lam, lam)
    rho = float(np.max(np.linalg.eigvalsh(R)))
    e_worst = Q @ (np.linalg.eigh(R)[1][:, -1] / lam)  # the direction attaining rho
    return {"L": float(lam[-1]), "mu": float(lam[0]), "rho": rho, "e_worst": e_worst}


def until(system: co.OpenDiscreteSystem, z0: np.ndarray, d: int, f, eps: float, cap: int,
          chunk: int = 100) -> np.ndarray:
    """Simulate ``system`` in chunks until f(w) <= eps f(w0) (w the first d coordinates) or
    ``cap`` steps; the w's of every step."""
    ws, z = [z0[None, :d]], z0
    f0, done = f(z0[None, :d])[0], 0
    while done < cap:
        traj = co.simulate(system, z, min(chunk, cap - done))
        ws.append(traj.states[1:, :d])
        z, done = traj.x, done + len(traj.states) - 1
        if f(traj.states[-1:, :d])[0] <= eps * f0:
            break
    return np.concatenate(ws)


def sgd(stoch: co.OpenProblem, eta: float, f, eps: float, cap: int) -> np.ndarray:
    return until(co.gradient_descent(stoch, eta), np.zeros(stoch.n), stoch.n, f, eps, cap)


def sagd(stoch: co.OpenProblem, eta: float, beta: float, f, eps: float, cap: int
         ) -> np.ndarray:
    """The momentum form on the state (w, w_prev): y = w + beta (w - w_prev),
    w+ = y - eta g(y)."""
    d = stoch.n

    def update(z: np.ndarray) -> np.ndarray:
        w, w_prev = z[:d], z[d:]
        y = w + beta * (w - w_prev)
        return np.concatenate([y - eta * stoch.gradient(y), w])

    sys = co.OpenDiscreteSystem(update, 2 * d, name="sagd")
    return until(sys, np.zeros(2 * d), d, f, eps, cap)


def semi_stochastic(stoch: co.OpenProblem, full: co.OpenProblem, eta: float, mu: float,
                    f, eps: float, cap: int) -> np.ndarray:
    """Eq. 5 with gamma_0 = mu (so gamma_k = mu, alpha = sqrt(mu eta)) on the state (w, v):
    the primal step stochastic, the estimating sequence v with the full gradient."""
    d = stoch.n
    alpha = np.sqrt(mu * eta)

    def update(z: np.ndarray) -> np.ndarray:
        w, v = z[:d], z[d:]
        y = (alpha * v + w) / (1 + alpha)
        w_new = y - eta * stoch.gradient(y)
        v_new = (1 - alpha) * v + alpha * y - (alpha / mu) * full.gradient(y)
        return np.concatenate([w_new, v_new])

    sys = co.OpenDiscreteSystem(update, 2 * d, name="semi-stochastic")
    return until(sys, np.zeros(2 * d), d, f, eps, cap)


def losses(A: np.ndarray, b: np.ndarray, W: np.ndarray) -> np.ndarray:
    """f at every row of W, by hand."""
    return 0.5 * np.mean((W @ A.T - b) ** 2, 1)


def hitting(f: np.ndarray, eps: float) -> int:
    """The first iteration with f <= eps f(0) (len(f) if never)."""
    hit = np.nonzero(f <= eps * f[0])[0]
    return int(hit[0]) if len(hit) else len(f)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and fast (tests)")
    parser.add_argument("--outdir", type=Path, default=None, help="where to write figures")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    n, d, boxes = 32, 64, 4
    batch, cond, seeds, eps = (6, 20.0, 2, 1e-4) if args.quick else (4, 30.0, 5, 1e-8)
    A, b, w_star = problem_data(n, d, cond, rng)
    k = constants(A, boxes, batch)
    L, mu, rho = k["L"], k["mu"], k["rho"]
    eta = 1.0 / (rho * L)
    alpha = np.sqrt(mu * eta)
    beta = (1 - alpha) / (1 + alpha)
    print(f"overparametrized least squares: n = {n} rows, d = {d}, {boxes} data-parallel boxes, "
          f"minibatch {batch} per box from its own stream")
    print(f"  L = {L:.3g}, mu = {mu:.3g} (row space), L/mu = {L / mu:.1f}, strong growth "
          f"rho = {rho:.3f} (exact)")

    # rho checked by Monte Carlo on the composite's own stochastic gradients, at the worst e
    stoch = co.compose(diagram(boxes, d), stochastic_boxes(A, b, boxes, batch, 10_000))
    full = full_family(A, b, boxes)
    w = w_star + k["e_worst"]
    draws = 10_000 if not args.quick else 2_000
    g2 = np.mean([np.sum(stoch.gradient(w) ** 2) for _ in range(draws)])
    out: dict = {"L": L, "mu": mu, "rho": rho, "eta": eta, "alpha": alpha, "beta": beta,
                 "rho_mc": float(g2 / np.sum(full.gradient(w) ** 2)),
                 "interpolation": float(np.max(np.abs(stoch.gradient(w_star))))}
    print(f"  Monte Carlo E|g|^2/|grad f|^2 at the worst direction ({draws} draws): "
          f"{out['rho_mc']:.3f};  |g(w*)| = {out['interpolation']:.1e} (interpolation)")

    # SGD is per box: the composite of the boxes' SGD systems takes the same steps
    per_box = co.compose(diagram(boxes, d), [co.gradient_descent(p, eta) for p in
                                             stochastic_boxes(A, b, boxes, batch, 1)])
    composite = co.gradient_descent(co.compose(diagram(boxes, d),
                                               stochastic_boxes(A, b, boxes, batch, 1)), eta)
    x0 = rng.standard_normal(d)
    out["sgd_per_box_vs_composite"] = float(np.max(np.abs(
        co.simulate(per_box, x0, 50).x - co.simulate(composite, x0, 50).x)))
    print(f"  SGD: boxes' systems composed vs gradient_descent of the composite, 50 steps: "
          f"{out['sgd_per_box_vs_composite']:.1e}")
    try:  # the full-gradient composite as a JAX box family: the same gradient
        fj = full_family(A, b, boxes, backend="jax")
        ws = rng.standard_normal((5, d))
        out["jax_vs_autograd"] = float(max(np.max(np.abs(fj.gradient(v) - full.gradient(v)))
                                           for v in ws))
        print(f"  full-gradient composite, JAX family vs autograd: {out['jax_vs_autograd']:.1e}")
    except ImportError:
        pass

    kappa_eff = rho * L / mu
    steps = int(1.5 * kappa_eff * np.log(1 / eps)) + 10
    runs = {"SGD": [], "SAGD": [], "semi-stochastic": []}
    curves = {}
    for s in range(seeds):
        def fresh(s=s):
            return co.compose(diagram(boxes, d), stochastic_boxes(A, b, boxes, batch,
                                                                   1000 + s))
        def loss(W):
            return losses(A, b, W)

        traj = {"SGD": sgd(fresh(), eta, loss, eps, steps),
                "SAGD": sagd(fresh(), eta, beta, loss, eps, steps),
                "semi-stochastic": semi_stochastic(fresh(), full, eta, mu, loss, eps, steps)}
        for name, W in traj.items():
            f = loss(W)
            runs[name].append(hitting(f, eps))
            if s == 0:
                curves[name] = f
    med = {name: float(np.median(v)) for name, v in runs.items()}
    out.update({"iterations": runs, "median": med, "eps": eps, "steps": steps,
                "speedup": med["SGD"] / med["SAGD"],
                "speedup_semi": med["SGD"] / med["semi-stochastic"],
                "predicted_sgd": float(np.log(1 / eps) * kappa_eff),
                "predicted_acc": float(np.log(1 / eps) * np.sqrt(kappa_eff))})
    print(f"\niterations to f <= {eps:g} f(w0), {seeds} seeds (median [min, max]);"
          f" step 1/(rho L) = {eta:.3g}, alpha = {alpha:.3f}, beta = {beta:.3f}")
    for name, v in runs.items():
        print(f"  {name:<16} {med[name]:8.0f}  [{min(v)}, {max(v)}]")
    print(f"  rate bounds' iteration counts log(1/eps)/(1 - rate) ~ SGD {out['predicted_sgd']:.0f},"
          f" accelerated {out['predicted_acc']:.0f}")
    print(f"  measured speed-up over SGD: SAGD {out['speedup']:.1f}x, semi-stochastic "
          f"{out['speedup_semi']:.1f}x (the latter also takes a full gradient per step)")

    if args.outdir is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        args.outdir.mkdir(parents=True, exist_ok=True)
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for name, f in curves.items():
            ax.semilogy(f / f[0], label=name)
        t = np.arange(max(len(f) for f in curves.values()))
        ax.semilogy(t, (1 - mu / (rho * L)) ** t, "k:", lw=1, label="(1 - mu/(rho L))^t")
        ax.semilogy(t, (1 - np.sqrt(mu / (rho * L))) ** t, "k--", lw=1,
                    label="(1 - sqrt(mu/(rho L)))^t")
        ax.set_ylim(eps / 100, 2)
        ax.set_xlabel("iteration")
        ax.set_ylabel("f(w_t) / f(w_0)")
        ax.set_title("interpolating least squares, seed 0")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.outdir / "sagd.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        print(f"figure: {args.outdir / 'sagd.png'}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return out


if __name__ == "__main__":
    main()
