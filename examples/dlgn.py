"""Deep Linearly Gated Networks (Yadav, Ramaswamy and Lakshminarayanan): half-space features.

A DLGN has two paths. The *gating* path is linear: with x~ = (x, 1),

    g1 = W1 x~,   g2 = W2 g1          (so every g_l is affine in x: a half-space per neuron),

and its gates are G_l = sigmoid(beta g_l), beta = 10 (soft while training; hard,
1{g_l > 0}, to read the features). The *value* path takes the constant input 1 and is gated by them:

    v1 = G1 * u1,   v2 = G2 * (U2 v1),   f(x) = w . v2.

So f = sum over paths (j1, j2) of w_j2 U2[j2, j1] u1[j1] G1_j1(x) G2_j2(x): a linear
combination of features, each the indicator (hard gates) of an intersection of two
half-spaces of the input plane. The data set, made here, is a rotated 3 x 3 checkerboard in
the plane, which such features represent exactly (a cell is an inclusion-exclusion of
quadrants, each the intersection of two half-spaces).

Trained with Adam (:func:`catopt.functor.adam`) as a distributed composite: the samples are
split over data-parallel boxes (one box family), every box sees all the weights through the
junctions of a UWD. Shown and asserted:

1. training accuracy (soft and hard gates) and held-out accuracy on the checkerboard;
2. the composite's gradient equals autograd of the whole-data loss written as one function;
3. the same network as a JAX box family takes the same Adam steps;
4. pictures (with --outdir): the learned half-spaces of both gating layers over the data, and
   the largest path features drawn as the regions they indicate, as the paper draws them.

Run: ``python examples/dlgn.py [--quick] [--outdir DIR]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import autograd
import autograd.numpy as anp
import numpy as np

import catopt as co
from catopt.functor.adam import adam

BETA = 10.0  # gate sharpness while training


def checkerboard(n: int, rng: np.random.Generator, cells: int = 3, angle: float = 0.5
                 ) -> tuple[np.ndarray, np.ndarray]:
    """n points uniform in [-1, 1]^2, labelled +-1 by the parity of their cell in a
    ``cells`` x ``cells`` checkerboard rotated by ``angle`` radians (covering the square)."""
    X = rng.uniform(-1, 1, (n, 2))
    c, s = np.cos(angle), np.sin(angle)
    Z = X @ np.array([[c, -s], [s, c]])
    k = np.floor((Z + 1.5) / 3.0 * cells).astype(int)
    return X, np.where((k[:, 0] + k[:, 1]) % 2 == 0, 1.0, -1.0)


def space(m: int) -> dict[str, tuple[int, ...]]:
    return {"W1": (m, 3), "W2": (m, m), "u1": (m,), "U2": (m, m), "w": (m,)}


def split(Z, m: int):
    """The five weight arrays from flat rows Z (k, P) (batched) or a flat vector (P,)."""
    lead = Z.shape[:-1]
    shapes = list(space(m).values())
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(anp.reshape(Z[..., start:start + size], lead + shape))
        start += size
    return out


def forward(params, X, beta: float | None, xp=anp):
    """f on the rows of X; beta None means hard gates 1{g > 0}. Works batched over boxes
    (leading axis k on the weights and on X) or for one set of weights."""
    W1, W2, u1, U2, w = params
    Xt = xp.concatenate([X, xp.ones(X.shape[:-1] + (1,))], -1)
    g1 = xp.einsum("...id,...jd->...ij", Xt, W1)
    g2 = xp.einsum("...ij,...kj->...ik", g1, W2)
    if beta is None:
        G1, G2 = (g1 > 0).astype(float), (g2 > 0).astype(float)
    else:
        G1, G2 = 0.5 + 0.5 * xp.tanh(0.5 * beta * g1), 0.5 + 0.5 * xp.tanh(0.5 * beta * g2)
    v1 = G1 * u1[..., None, :]
    v2 = G2 * xp.einsum("...kj,...ij->...ik", U2, v1)
    return xp.einsum("...ik,...k->...i", v2, w)


def diagram(boxes: int, m: int) -> co.UWD:
    b = co.UWDBuilder()
    for name, shape in space(m).items():
        b.junction(name, shape)
    for k in range(boxes):
        b.box(f"shard{k}", list(space(m)))
    b.outer(*space(m))
    return b.build()


def family(X: np.ndarray, y: np.ndarray, m: int, boxes: int, backend: str = "autograd"
           ) -> co.BoxFamily:
    """One box per shard: 1/n sum over its samples of log(1 + exp(-y_i f(x_i)))."""
    n = len(y)
    Xs, ys = X.reshape(boxes, n // boxes, 2), y.reshape(boxes, n // boxes)
    if backend == "jax":
        import jax.numpy as jnp

        def one(z, X, y):
            f = forward(split(z, m), X, BETA, xp=jnp)
            return jnp.sum(jnp.logaddexp(0.0, -y * f)) / n

        return co.BoxFamily(one, space(m), list(space(m)), data={"X": Xs, "y": ys},
                            name="shard", backend="jax")

    def batched(Z, X, y):
        f = forward(split(Z, m), X, BETA)
        return anp.sum(anp.logaddexp(0.0, -y * f), 1) / n

    return co.BoxFamily(batched, space(m), list(space(m)), data={"X": Xs, "y": ys},
                        name="shard")


def network(X, y, m, boxes, backend="autograd") -> co.OpenProblem:
    return co.fuse_families(co.compose(diagram(boxes, m), family(X, y, m, boxes, backend)
                                       .problems()))


def init(m: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"W1": rng.standard_normal((m, 3)), "W2": rng.standard_normal((m, m)) / np.sqrt(m),
            "u1": rng.standard_normal(m), "U2": rng.standard_normal((m, m)) / np.sqrt(m),
            "w": rng.standard_normal(m) / np.sqrt(m)}


def train(c: co.OpenProblem, x0: np.ndarray, steps: int, lr: float) -> co.Trajectory:
    z0 = np.concatenate([x0, np.zeros(2 * c.n)])  # Adam's state (x, m, v), moments at 0
    return co.simulate(adam(c, lr=lr), z0, steps, record_every=steps)


def accuracy(params, X, y, beta) -> float:
    return float(np.mean(np.sign(forward(params, X, beta, xp=np)) == y))


def path_features(params, X: np.ndarray, top: int) -> list[tuple[int, int, float, float]]:
    """The ``top`` paths (j1, j2) by weight on the data: |value| times the fraction of the
    points of X in the path's region (hard gates), with the path value
    w_j2 U2[j2, j1] u1[j1] and that fraction."""
    W1, W2, u1, U2, w = params
    g1 = np.concatenate([X, np.ones((len(X), 1))], 1) @ W1.T
    g2 = g1 @ W2.T
    share = ((g2 > 0).astype(float).T @ (g1 > 0).astype(float)) / len(X)  # [j2, j1]
    value = w[:, None] * U2 * u1[None, :]
    order = np.argsort(-(np.abs(value) * share), axis=None)[:top]
    return [(int(j1), int(j2), float(value[j2, j1]), float(share[j2, j1]))
            for j2, j1 in zip(*np.unravel_index(order, value.shape), strict=True)]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and fast (tests)")
    parser.add_argument("--outdir", type=Path, default=None, help="where to write figures")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    m, boxes = 16, 4
    n, steps, lr = (400, 1500, 0.03) if args.quick else (800, 4000, 0.02)
    X, y = checkerboard(n, rng)
    Xt, yt = checkerboard(2000, rng)
    c = network(X, y, m, boxes)
    x0 = c.pack(init(m, rng))
    print(f"DLGN: 2 gating layers of width {m} (linear), value path gated by them; "
          f"{n} checkerboard points in {boxes} data-parallel boxes; Adam, {steps} steps")

    # the composite against the whole-data loss as one autograd function
    def whole(z):
        return anp.mean(anp.logaddexp(0.0, -y * forward(split(z, m), X, BETA)))

    out: dict = {"grad_vs_whole": float(np.max(np.abs(c.gradient(x0)
                                                       - autograd.grad(whole)(x0))))}
    print(f"  composite gradient vs autograd of the whole-data loss: {out['grad_vs_whole']:.1e}")
    traj = train(c, x0, steps, lr)
    x = traj.x[: c.n]
    params = split(x, m)
    out.update({"loss_start": float(traj.objective[0]), "loss_end": float(traj.objective[-1]),
                "train_soft": accuracy(params, X, y, BETA),
                "train_hard": accuracy(params, X, y, None),
                "test_soft": accuracy(params, Xt, yt, BETA),
                "test_hard": accuracy(params, Xt, yt, None),
                "chance": float(max(np.mean(y > 0), np.mean(y < 0)))})
    print(f"  logistic loss {out['loss_start']:.3f} -> {out['loss_end']:.4f}")
    print(f"  accuracy  train: soft gates {out['train_soft']:.3f}, hard gates "
          f"{out['train_hard']:.3f};  held-out (2000 points): soft {out['test_soft']:.3f}, "
          f"hard {out['test_hard']:.3f};  majority class {out['chance']:.3f}")

    try:  # the same composite as a JAX box family: the same Adam iterates
        k = 20
        za = co.simulate(adam(c, lr=lr), np.concatenate([x0, np.zeros(2 * c.n)]), k).x
        cj = network(X, y, m, boxes, backend="jax")
        zj = co.simulate(adam(cj, lr=lr), np.concatenate([x0, np.zeros(2 * c.n)]), k).x
        out["jax_vs_autograd"] = float(np.max(np.abs(za[: c.n] - zj[: c.n])))
        print(f"  JAX family vs autograd, {k} Adam steps: max |x - x'| = "
              f"{out['jax_vs_autograd']:.1e}")
    except ImportError:
        pass

    if args.outdir is not None:
        plot(params, X, y, args.outdir)
    print(f"done in {time.perf_counter() - start:.1f} s")
    return out


def plot(params, X: np.ndarray, y: np.ndarray, outdir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir.mkdir(parents=True, exist_ok=True)
    W1, W2 = params[0], params[1]
    grid = np.linspace(-1, 1, 201)
    gx, gy = np.meshgrid(grid, grid)
    P = np.stack([gx.ravel(), gy.ravel()], 1)
    Pt = np.concatenate([P, np.ones((len(P), 1))], 1)
    g1 = Pt @ W1.T
    g2 = g1 @ W2.T
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    f = forward(params, P, None, xp=np).reshape(gx.shape)
    axes[0].contourf(gx, gy, np.sign(f), levels=[-2, 0, 2], colors=["#f4c7c3", "#c6dbef"])
    axes[0].scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm_r", s=6)
    axes[0].set_title("data and sign f (hard gates)")
    for ax, g, title in ((axes[1], g1, "layer-1 half-spaces g1 = W1 x~ = 0"),
                         (axes[2], g2, "layer-2 half-spaces g2 = W2 W1 x~ = 0")):
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm_r", s=4, alpha=0.35)
        for j in range(g.shape[1]):
            ax.contour(gx, gy, g[:, j].reshape(gx.shape), levels=[0], colors="k",
                       linewidths=0.8)
        ax.set_title(title)
    for ax in axes:
        ax.set_xlim(-1, 1)
        ax.set_ylim(-1, 1)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(outdir / "dlgn_halfspaces.png", dpi=100, bbox_inches="tight")
    plt.close(fig)

    paths = path_features(params, X, 12)
    fig, axes = plt.subplots(2, 6, figsize=(13, 5.2))
    for ax, (j1, j2, value, share) in zip(axes.ravel(), paths, strict=True):
        region = ((g1[:, j1] > 0) & (g2[:, j2] > 0)).reshape(gx.shape)
        ax.imshow(np.where(region, np.sign(value), 0.0), origin="lower", extent=(-1, 1, -1, 1),
                  cmap="coolwarm_r", vmin=-1.5, vmax=1.5)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm_r", s=1, alpha=0.5)
        ax.set_title(f"({j1},{j2}): {value:+.1f} on {share:.0%}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("the 12 heaviest paths (|value| x share of the data): the region "
                 "G1_j1 G2_j2 = 1, an intersection of two half-spaces, coloured by the "
                 "sign of the path's value")
    fig.tight_layout()
    fig.savefig(outdir / "dlgn_features.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"  figures: {outdir / 'dlgn_halfspaces.png'}, {outdir / 'dlgn_features.png'}")


if __name__ == "__main__":
    main()
