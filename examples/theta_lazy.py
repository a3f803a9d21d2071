"""Lazy and non-lazy training of a two-layer tanh network (Li, Luo and Zhou, theta-lazy).

    f(x) = (kappa / m) sum_k a_k tanh(w_k . x),      a_k, w_k ~ N(0, 1)  (no 1/sqrt(m) factor),

trained by gradient descent on L = 1/(2n) sum_i (f(x_i) - y_i)^2. With the output scale
kappa = m^theta the paper's theta-lazy regime is theta = lim log kappa / log m > 0: the weights
barely move and the network follows its neural-tangent-kernel (NTK) linearization; the NTK
scaling is theta = 1/2, and theta = 0 (kappa = 1, the mean-field scale) is not lazy. (The
issue writes f = kappa sum_k ...; that is this model with kappa / m in its place. Which
kappa is meant follows from the paper's statement that NTK is theta = 1/2.)

The initialization is symmetric (the second half of the neurons copies the first with
a_k negated), so f = 0 at the start and the residual is the target, whatever kappa is.
The step is eta = 1 / lambda_max(K_0 / n), K_0 the NTK Gram matrix at the start: the same
speed in function space for every (kappa, m).

Trained as a distributed composite: the n samples are split over data-parallel boxes (one
box family), every box sees all the weights (W, a) through two junctions of a UWD, and the
composite's gradient is the sum of the boxes' gradients. Shown and asserted:

1. the relative weight change |W_T - W_0| / |W_0| over a sweep of kappa = m^theta and m:
   below 1e-2 at large kappa (lazy), of order one at kappa = 1 (not lazy), and its slope in
   log m is about -theta;
2. the NTK linearization's predictions, computed independently in closed form from the
   eigendecomposition of K_0 (a hand-written Jacobian, no autograd): the loss curve and the
   weight change. They match the trained network in the lazy regime and not at theta = 0;
3. the same run on JAX (a JAX box family, ``solve(engine="jax")``) gives the same iterates.

Run: ``python examples/theta_lazy.py [--quick] [--outdir DIR]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import autograd.numpy as anp
import numpy as np

import catopt as co

D_IN = 3  # inputs (cos phi, sin phi, 1) / sqrt(2): a point on a circle and a bias coordinate


def dataset(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points on a circle (unit-norm inputs with a bias coordinate) and a smooth target."""
    phi = np.sort(rng.uniform(0, 2 * np.pi, n))
    X = np.stack([np.cos(phi), np.sin(phi), np.ones(n)], 1) / np.sqrt(2)
    y = np.sin(2 * phi) + 0.5 * np.cos(phi)
    return X, y


def init(m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric N(0, 1) initialization: neurons m/2.. copy 0..m/2 with a negated, so f = 0."""
    W = rng.standard_normal((m // 2, D_IN))
    a = rng.standard_normal(m // 2)
    return np.concatenate([W, W]), np.concatenate([a, -a])


def diagram(boxes: int, m: int) -> co.UWD:
    """Data-parallel boxes, each with ports (W, a) on the two shared junctions."""
    b = co.UWDBuilder()
    b.junction("W", (m, D_IN))
    b.junction("a", (m,))
    for k in range(boxes):
        b.box(f"shard{k}", ["W", "a"])
    b.outer("W", "a")
    return b.build()


def family(X: np.ndarray, y: np.ndarray, m: int, kappa: float, boxes: int,
           backend: str = "autograd") -> co.BoxFamily:
    """One box per shard of the data: 1/(2n) sum over its samples of (f(x_i) - y_i)^2."""
    n = len(y)
    Xs, ys = X.reshape(boxes, n // boxes, D_IN), y.reshape(boxes, n // boxes)
    space = {"W": (m, D_IN), "a": (m,)}
    md = m * D_IN
    if backend == "jax":
        import jax.numpy as jnp

        def one(z, X, y):  # one box
            W, a = z[:md].reshape(m, D_IN), z[md:]
            r = (kappa / m) * jnp.tanh(X @ W.T) @ a - y
            return 0.5 * jnp.sum(r * r) / n

        return co.BoxFamily(one, space, ["W", "a"], data={"X": Xs, "y": ys}, name="shard",
                            backend="jax")

    def batched(Z, X, y):  # Z: (k, n_params), X: (k, n_b, d), y: (k, n_b)
        k = Z.shape[0]
        W, a = anp.reshape(Z[:, :md], (k, m, D_IN)), Z[:, md:]
        h = anp.tanh(anp.einsum("kid,kjd->kij", X, W))
        r = (kappa / m) * anp.einsum("kij,kj->ki", h, a) - y
        return 0.5 * anp.sum(r * r, 1) / n

    return co.BoxFamily(batched, space, ["W", "a"], data={"X": Xs, "y": ys}, name="shard")


def network(X: np.ndarray, y: np.ndarray, m: int, kappa: float, boxes: int,
            backend: str = "autograd") -> co.OpenProblem:
    fam = family(X, y, m, kappa, boxes, backend)
    return co.fuse_families(co.compose(diagram(boxes, m), fam.problems()))


# -- the NTK linearization, by hand ------------------------------------------------------------

def jacobian(X: np.ndarray, W: np.ndarray, a: np.ndarray, kappa: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """df(x_i)/dW (n, m, d) and df(x_i)/da (n, m), written out: tanh' = 1 - tanh^2."""
    m = len(a)
    h = np.tanh(X @ W.T)
    dW = (kappa / m) * ((1 - h**2) * a)[:, :, None] * X[:, None, :]
    return dW, (kappa / m) * h


def ntk_prediction(X: np.ndarray, y: np.ndarray, W0: np.ndarray, a0: np.ndarray,
                   kappa: float, eta: float, steps: int) -> dict[str, np.ndarray]:
    """Gradient descent on the linearized network f0 + J0 (theta - theta0), in closed form.

    With K = J0 J0' / n = U diag(lam) U' and f0 = 0, the residual is
    r_t = U (1 - eta lam)^t U' r_0, the loss |r_t|^2 / (2n), and the displacement
    theta_t - theta0 = -(eta / n) J0' sum_{s<t} r_s, the sum being U diag(S_t) U' r_0 with
    S_t = (1 - (1 - eta lam)^t) / (eta lam)."""
    n = len(y)
    dW, da = jacobian(X, W0, a0, kappa)
    J = np.concatenate([dW.reshape(n, -1), da], 1)
    lam, U = np.linalg.eigh(J @ J.T / n)
    lam = np.clip(lam, 1e-300, None)
    c = U.T @ (-y)  # r_0 = f_0 - y = -y
    t = np.arange(steps + 1)[:, None]
    decay = (1 - eta * lam)[None, :] ** t
    loss = 0.5 * np.sum((decay * c) ** 2, 1) / n
    S = (1 - decay[-1]) / (eta * lam)
    disp = -(eta / n) * J.T @ (U @ (S * c))
    dW_lin = disp[: W0.size]
    return {"loss": loss, "rel_W": np.linalg.norm(dW_lin) / np.linalg.norm(W0),
            "lambda_max": lam[-1]}


def run(X: np.ndarray, y: np.ndarray, m: int, theta: float, steps: int, boxes: int,
        rng: np.random.Generator) -> dict[str, float | np.ndarray]:
    kappa = float(m) ** theta
    W0, a0 = init(m, rng)
    ntk_eta = ntk_prediction(X, y, W0, a0, kappa, 1.0, 0)["lambda_max"]
    eta = 1.0 / ntk_eta
    pred = ntk_prediction(X, y, W0, a0, kappa, eta, steps)
    c = network(X, y, m, kappa, boxes)
    x0 = c.pack({"W": W0, "a": a0})
    r = co.solve(c, x0, step=eta, steps=steps)
    W = c.unpack(r.x)["W"]
    return {"m": m, "theta": theta, "kappa": kappa, "eta": eta, "x0": x0, "x": r.x,
            "rel_W": float(np.linalg.norm(W - W0) / np.linalg.norm(W0)),
            "rel_W_ntk": float(pred["rel_W"]), "loss": r.history, "loss_ntk": pred["loss"],
            "loss_gap": float(np.max(np.abs(r.history - pred["loss"])) / pred["loss"][0])}


def slope(ms: list[int], values: list[float]) -> float:
    """Least-squares slope of log(value) against log(m)."""
    return float(np.polyfit(np.log(ms), np.log(values), 1)[0])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and fast (tests)")
    parser.add_argument("--outdir", type=Path, default=None, help="where to write figures")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    n, boxes = 16, 4
    widths = [32, 128, 512] if args.quick else [64, 256, 1024, 4096]
    thetas = [0.0, 0.25, 0.5, 1.0]
    steps = 200 if args.quick else 500
    X, y = dataset(n, rng)
    print(f"theta-lazy: f(x) = kappa/m sum_k a_k tanh(w_k.x), kappa = m^theta; {n} samples "
          f"in {boxes} data-parallel boxes sharing (W, a); {steps} GD steps of 1/lambda_max(K0/n)")
    results = {(m, th): run(X, y, m, th, steps, boxes, np.random.default_rng([args.seed, m]))
               for m in widths for th in thetas}
    print("\n|W_T - W_0| / |W_0|  (trained; NTK linearization in brackets)")
    print("  theta  " + "".join(f"{'m = ' + str(m):>22}" for m in widths) + "   slope in log m")
    slopes = {}
    for th in thetas:
        row = [results[m, th] for m in widths]
        slopes[th] = slope(widths, [r["rel_W"] for r in row])
        cells = "".join(f"{r['rel_W']:11.2e} [{r['rel_W_ntk']:8.2e}]" for r in row)
        print(f"  {th:5.2f}  {cells}   {slopes[th]:6.2f} (lazy theory: {-th:5.2f})")
    print("\nmax_t |L_t - L_t(NTK)| / L_0  (training loss against the linearization's)")
    for th in thetas:
        print(f"  {th:5.2f}  " + "".join(f"{results[m, th]['loss_gap']:22.2e}" for m in widths))
    print("\nfinal training loss L_T / L_0")
    for th in thetas:
        print(f"  {th:5.2f}  " + "".join(
            f"{results[m, th]['loss'][-1] / results[m, th]['loss'][0]:22.2e}" for m in widths))

    out: dict = {"results": results, "slopes": slopes, "widths": widths, "thetas": thetas}
    # the composite's gradient (autograd, summed over the boxes along the UWD) against the
    # hand-written Jacobian's -J'y / n at the start (f = 0 there)
    m = widths[0]
    W0, a0 = init(m, np.random.default_rng([args.seed, m]))
    c = network(X, y, m, 1.0, boxes)
    dW, da = jacobian(X, W0, a0, 1.0)
    hand = c.pack({"W": -np.einsum("imd,i->md", dW, y) / n, "a": -da.T @ y / n})
    out["grad_vs_hand"] = float(np.max(np.abs(c.gradient(c.pack({"W": W0, "a": a0})) - hand)))
    print(f"\ncomposite gradient vs the hand-written Jacobian at the start: "
          f"{out['grad_vs_hand']:.1e}")
    # the same composite on JAX: a JAX box family, the whole run jitted by solve(engine="jax")
    try:
        m, th = widths[1], 0.5
        r = results[m, th]
        cj = network(X, y, m, r["kappa"], boxes, backend="jax")
        xj = co.solve(cj, r["x0"], step=r["eta"], steps=steps, engine="jax").x
        out["jax_vs_autograd"] = float(np.max(np.abs(xj - r["x"])))
        print(f"\nJAX family, solve(engine='jax') vs autograd (m = {m}, theta = {th}): "
              f"max |x - x'| = {out['jax_vs_autograd']:.1e}")
    except ImportError:
        pass

    if args.outdir is not None:
        plot(results, widths, thetas, args.outdir)
    print(f"done in {time.perf_counter() - start:.1f} s")
    return out


def plot(results: dict, widths: list[int], thetas: list[float], outdir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    colors = plt.cm.viridis(np.linspace(0, 0.85, len(thetas)))
    for th, col in zip(thetas, colors, strict=True):
        axes[0].loglog(widths, [results[m, th]["rel_W"] for m in widths], "o-", color=col,
                       label=f"theta = {th:g}")
        axes[0].loglog(widths, [results[m, th]["rel_W_ntk"] for m in widths], "x--",
                       color=col)
    axes[0].set_xticks(widths, [str(m) for m in widths])
    axes[0].minorticks_off()
    axes[0].axhline(1e-2, color="grey", lw=0.8, ls=":")
    axes[0].set_xlabel("width m")
    axes[0].set_ylabel("|W_T - W_0| / |W_0|")
    axes[0].set_title("weight change (o trained, x NTK)")
    axes[0].legend(fontsize=8)
    m = widths[-1]
    for th, col in zip(thetas, colors, strict=True):
        r = results[m, th]
        axes[1].semilogy(r["loss"], color=col, label=f"theta = {th:g}")
        axes[1].semilogy(r["loss_ntk"], color=col, ls="--")
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("training loss")
    axes[1].set_title(f"loss at m = {m} (dashed: NTK)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(outdir / "theta_lazy.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"figure: {outdir / 'theta_lazy.png'}")


if __name__ == "__main__":
    main()
