"""Overparametrized two-layer linear networks (Xu, Min, Tarmoun, Mallada and Vidal, 2023).

    L(W1, W2) = 1/2 ||Y - X W1 W2||_F^2

Shown and asserted:
1. the imbalance D = W1'W1 - W2 W2' is conserved by gradient flow (RK4, small dt) and drifts
   under gradient descent by exactly eta^2 (G1'G1 - G2 G2') per step: halving the step
   divides the one-step drift by 4;
2. linear convergence of the loss (a straight line in log scale);
3. the adaptive step eta_t = argmin_eta f(eta, t) of the paper's rate bound, capped by
   eta_max, against constant steps; the bound L(t+1) <= f(eta_t, t) L(t) holds at every step;
4. the table of iterations to reach error 1e-8 for five initializations (normal, NTK,
   Xavier, He, uniform), overparametrized against not, mean and spread over seeds;
5. data-parallel training: K agents each holding a shard of the data, sharing W1 and W2
   along a UWD, whose iterates equal single-machine training.

Run: ``python examples/two_layer_linear.py [--quick]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import catopt as co
from catopt.functor.xu_step import XuAdaptiveStep, xu_constants

INITS = ("normal", "NTK", "xavier", "He", "uniform")


def network(X: np.ndarray, Y: np.ndarray, h: int, name: str = "net") -> co.OpenProblem:
    """The open problem L(W1, W2) with hand-written gradients, W1 and W2 exposed."""
    n, m = X.shape[1], Y.shape[1]

    def loss(W1, W2):
        E = X @ W1 @ W2 - Y
        return 0.5 * float(np.sum(E * E))

    def grad(W1, W2):
        E = X @ W1 @ W2 - Y
        XtE = X.T @ E
        return XtE @ W2.T, W1.T @ XtE

    return co.OpenProblem(loss, {"W1": (n, h), "W2": (h, m)}, ports=["W1", "W2"], grad=grad,
                          name=name)


def imbalance(p: co.OpenProblem, x: np.ndarray) -> np.ndarray:
    W = p.unpack(x)
    return W["W1"].T @ W["W1"] - W["W2"] @ W["W2"].T


def init(kind: str, n: int, h: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Initial (W1, W2) for the named scheme."""
    if kind == "normal":
        return rng.standard_normal((n, h)), rng.standard_normal((h, m))
    if kind == "NTK":
        return rng.standard_normal((n, h)) / np.sqrt(n), rng.standard_normal((h, m)) / np.sqrt(h)
    if kind == "xavier":
        return (rng.standard_normal((n, h)) * np.sqrt(2 / (n + h)),
                rng.standard_normal((h, m)) * np.sqrt(2 / (h + m)))
    if kind == "He":
        return (rng.standard_normal((n, h)) * np.sqrt(2 / n),
                rng.standard_normal((h, m)) * np.sqrt(2 / h))
    if kind == "uniform":
        return (rng.uniform(-1, 1, (n, h)) / np.sqrt(n), rng.uniform(-1, 1, (h, m)) / np.sqrt(h))
    raise co.CatoptError(f"unknown initialization {kind!r}; expected one of {INITS}")


# -- 1. imbalance -----------------------------------------------------------------------------

def imbalance_experiment(rng: np.random.Generator) -> dict:
    X, Y = rng.standard_normal((30, 6)), rng.standard_normal((30, 2))
    p = network(X, Y, 4)
    x0 = p.pack({"W1": 0.3 * rng.standard_normal((6, 4)), "W2": 0.3 * rng.standard_normal((4, 2))})
    D0 = imbalance(p, x0)
    L = np.linalg.norm(X, 2) ** 2 * 4
    flow = co.simulate(co.gradient_flow(p), x0, 400, dt=0.05 / L, method="rk4")
    flow_drift = float(np.linalg.norm(imbalance(p, flow.x) - D0))
    drifts = {}
    for eta in (0.2 / L, 0.1 / L):
        x1 = co.gradient_descent(p, eta).update(x0)
        g = p.unpack(p.gradient(x0))
        closed = eta**2 * (g["W1"].T @ g["W1"] - g["W2"] @ g["W2"].T)
        drifts[eta] = (float(np.linalg.norm(imbalance(p, x1) - D0)),
                       float(np.linalg.norm(imbalance(p, x1) - D0 - closed)))
    (e1, (d1, r1)), (e2, (d2, r2)) = sorted(drifts.items(), reverse=True)
    drop = float(flow.objective[0] - flow.objective[-1])
    return {"flow_drift": flow_drift, "flow_loss_drop": drop,
            "gd_drift": (d1, d2), "ratio": d1 / d2, "closed_form_error": max(r1, r2)}


# -- 2 and 3. linear convergence, adaptive step -----------------------------------------------

def adaptive_experiment(rng: np.random.Generator, steps: int) -> dict:
    """The paper's setting (eq. 35): X = I_20, Y = X W(0) + 0.01 eps, m = 1; width h = n, so
    that lambda_n(D(0)) in alpha0 (Table 2) exists."""
    n, h, m = 20, 20, 1
    W1, W2 = 0.5 * rng.standard_normal((n, h)), 0.5 * rng.standard_normal((h, m))
    X = np.eye(n)
    Y = X @ W1 @ W2 + 0.01 * rng.standard_normal((n, m))
    p = network(X, Y, h)
    x0 = p.pack({"W1": W1, "W2": W2})
    consts = xu_constants(X, Y, W1, W2)
    rule = XuAdaptiveStep(consts)
    adaptive = co.solve(p, x0, step=rule, steps=steps, tol=0)
    hist = adaptive.history
    bound_ok = all(hist[t + 1] <= consts.rate(rule.steps[t], hist[t]) * hist[t] * (1 + 1e-9)
                   for t in range(len(rule.steps)))
    constants = {}
    for mult in (1.0, 0.5):
        r = co.solve(p, x0, step=mult * consts.eta_max, steps=steps, tol=0)
        constants[mult] = r.history
    # the certified bounds prod_k f(eta_k, k) L(0): the adaptive step minimizes each factor, so
    # its certificate is at most that of any constant step eta <= eta_max (here eta_max)
    curve_adaptive = hist[0] * np.cumprod([1.0] + [consts.rate(e, L) for e, L in
                                                   zip(rule.steps, hist[:-1], strict=True)])
    curve_constant = hist[0] * np.cumprod([1.0] + [consts.rate(consts.eta_max, L)
                                                   for L in constants[1.0][:-1]])
    cert_adaptive, cert_constant = curve_adaptive[-1], curve_constant[-1]
    # linear rate: slope of log L over the second half of the adaptive run
    t = np.arange(len(hist))
    half = len(hist) // 2
    slope, icpt = np.polyfit(t[half:], np.log(hist[half:]), 1)
    fit = np.exp(icpt + slope * t[half:])
    r2 = 1 - np.sum((np.log(hist[half:]) - np.log(fit)) ** 2) / np.sum(
        (np.log(hist[half:]) - np.log(hist[half:]).mean()) ** 2)
    return {"eta_max": consts.eta_max, "steps": rule.steps, "adaptive": hist,
            "constant": constants, "bound_ok": bound_ok, "rate": float(np.exp(slope)),
            "r2": float(r2), "alpha0": consts.alpha0, "f0": consts.rate(rule.steps[0], hist[0]),
            "certificate": (float(cert_adaptive), float(cert_constant)),
            "certificate_curves": (curve_adaptive, curve_constant)}


# -- 4. the five-initialization table ---------------------------------------------------------

def iterations_to(history: np.ndarray, target: float) -> int:
    hit = np.nonzero(history <= target)[0]
    return int(hit[0]) if len(hit) else -1


def least_squares(X: np.ndarray, Y: np.ndarray) -> co.OpenProblem:
    """The plain (not overparametrized) model 1/2 ||Y - X W||_F^2."""
    return co.OpenProblem(lambda W: 0.5 * float(np.sum((X @ W - Y) ** 2)),
                          {"W": (X.shape[1], Y.shape[1])}, grad=lambda W: X.T @ (X @ W - Y))


def stop_below(L_star: float, tol: float = 1e-8):
    """A solve callback that stops once L(t) - L* <= tol."""
    return lambda t, x, f, g: f - L_star <= tol


def table_experiment(seeds: int, N: int, n: int = 20, h: int = 200, max_steps: int = 3000) -> dict:
    """Iterations until L(t) - L* <= 1e-8 (eq. 36 of the seed: X, Y in R^{N x 20},
    Y = X W + 0.001 eps; width h = 10 n). Steps: 1/L_hat, L_hat the curvature at the start, for the
    overparametrized network; 2 / (s_max^2 + s_min^2) for the plain least squares."""
    out: dict[str, dict[str, list[int]]] = {k: {"over": [], "plain": []} for k in INITS}
    for s in range(seeds):
        rng = np.random.default_rng(1000 + s)
        X = rng.standard_normal((N, n))
        Y = X @ rng.standard_normal((n, n)) + 0.001 * rng.standard_normal((N, n))
        W_star = np.linalg.lstsq(X, Y, rcond=None)[0]
        L_star = 0.5 * float(np.sum((X @ W_star - Y) ** 2))
        sv = np.linalg.svd(X, compute_uv=False)
        for kind in INITS:
            W1, W2 = init(kind, n, h, n, rng)
            over = network(X, Y, h)
            x0 = over.pack({"W1": W1, "W2": W2})
            eta = 1.0 / co.estimate_curvature(over, x0)
            r = co.solve(over, x0, step=eta, steps=max_steps, tol=0,
                         callback=stop_below(L_star))
            out[kind]["over"].append(iterations_to(r.history - L_star, 1e-8))
            plain = least_squares(X, Y)
            r = co.solve(plain, plain.pack({"W": W1 @ W2}), step=2 / (sv[0] ** 2 + sv[-1] ** 2),
                         steps=max_steps, tol=0, callback=stop_below(L_star))
            out[kind]["plain"].append(iterations_to(r.history - L_star, 1e-8))
    return out


def format_table(out: dict) -> str:
    lines = [f"{'':10}{'over-parametrization':>26}{'non-overparametrization':>28}"]
    for kind in INITS:
        o, p = np.array(out[kind]["over"]), np.array(out[kind]["plain"])
        lines.append(f"{kind:10}{o.mean():>17.2f} +- {o.std():5.2f}{p.mean():>19.2f} +- "
                     f"{p.std():5.2f}")
    return "\n".join(lines)


# -- 5. data parallel -------------------------------------------------------------------------

def data_parallel_experiment(rng: np.random.Generator, K: int = 4, steps: int = 50) -> dict:
    """K agents, each with a shard of the data, sharing W1 and W2 along a UWD."""
    n, h, m, N = 8, 6, 3, 80
    X, Y = rng.standard_normal((N, n)), rng.standard_normal((N, m))
    b = co.UWDBuilder()
    b.junction("W1", (n, h))
    b.junction("W2", (h, m))
    for k in range(K):
        b.box(f"agent{k}", ["W1", "W2"])
    b.outer("W1", "W2")
    shards = np.array_split(np.arange(N), K)
    parallel = co.compose(b.build(), [network(X[s], Y[s], h, f"agent{k}")
                                      for k, s in enumerate(shards)])
    single = network(X, Y, h)
    x0 = single.pack({"W1": 0.3 * rng.standard_normal((n, h)),
                      "W2": 0.3 * rng.standard_normal((h, m))})
    eta = 0.5 / co.estimate_curvature(single, x0)
    a = co.simulate(co.compose(b.build(), [co.gradient_descent(c, eta) for c in
                                           parallel.components.values()]), x0, steps,
                    record_every=1)
    s = co.simulate(co.gradient_descent(single, eta), x0, steps, record_every=1)
    return {"max_diff": float(np.max(np.abs(a.states - s.states))),
            "labels_equal": parallel.labels == single.labels, "loss": float(s.objective[-1]),
            "diagram": parallel.diagram}


def plot(ad: dict, outdir: Path) -> None:
    """Loss under the adaptive step and constant steps, and the steps themselves."""
    from catopt.interfaces.plot import _pyplot, _save

    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    for label, hist, style in (("adaptive", ad["adaptive"], "C0-"),
                               ("eta_max", ad["constant"][1.0], "C1-"),
                               ("eta_max / 2", ad["constant"][0.5], "C2:"),
                               ("bound, adaptive", ad["certificate_curves"][0], "C0--"),
                               ("bound, eta_max", ad["certificate_curves"][1], "C1--")):
        a1.semilogy(hist, style, label=label)
    a1.set_xlabel("iteration")
    a1.set_ylabel("loss")
    a1.legend()
    a2.plot(ad["steps"], label="eta_t")
    a2.axhline(ad["eta_max"], color="gray", ls="--", label="eta_max")
    a2.set_xlabel("iteration")
    a2.legend()
    fig.tight_layout()
    outdir.mkdir(parents=True, exist_ok=True)
    _save(fig, outdir / "two_layer_linear.png")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, smaller data")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--outdir", type=Path, default=None, help="where to write figures")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    imb = imbalance_experiment(rng)
    print("1. imbalance D = W1'W1 - W2W2'")
    print(f"   gradient flow (RK4): |D(T) - D(0)| = {imb['flow_drift']:.2e} while the loss fell "
          f"by {imb['flow_loss_drop']:.3g}")
    print(f"   one GD step: drift {imb['gd_drift'][0]:.3e} at eta, {imb['gd_drift'][1]:.3e} at "
          f"eta/2: ratio {imb['ratio']:.4f} (theory: 4, exactly eta^2 (G1'G1 - G2G2'), "
          f"residual {imb['closed_form_error']:.1e})")

    ad = adaptive_experiment(rng, 60 if args.quick else 200)
    print("\n2-3. the adaptive step (X = I_20, Y = X W(0) + 0.01 eps)")
    print(f"   alpha0 = {ad['alpha0']:.3g}, eta_max = {ad['eta_max']:.3g}, "
          f"first eta_t = {ad['steps'][0]:.3g}, f(eta_0, 0) = {ad['f0']:.4f}")
    for label, hist in (("adaptive", ad["adaptive"]), ("eta_max", ad["constant"][1.0]),
                        ("eta_max/2", ad["constant"][0.5])):
        print(f"   {label:>10}: loss {hist[0]:.3e} -> {hist[-1]:.3e} in {len(hist) - 1} steps")
    print(f"   the bound L(t+1) <= f(eta_t, t) L(t) held at every step: {ad['bound_ok']}")
    print(f"   linear rate {ad['rate']:.4f} per step (R^2 of the log-linear fit {ad['r2']:.5f});"
          f" guaranteed: f(eta_0, 0) = {ad['f0']:.4f}")
    print(f"   certified bound on L(T): adaptive {ad['certificate'][0]:.3e}, constant eta_max "
          f"{ad['certificate'][1]:.3e}")

    tab = table_experiment(3 if args.quick else 20, 200 if args.quick else 1000)
    print("\n4. iterations to reach error 1e-8 (mean +- spread over seeds)")
    print(format_table(tab))

    dp = data_parallel_experiment(rng)
    print(f"\n5. data parallel over 4 agents: max |iterate difference| = {dp['max_diff']:.2e}")
    if args.outdir is not None:
        from catopt.interfaces.draw import draw

        plot(ad, args.outdir)
        draw(dp["diagram"], args.outdir / "two_layer_linear_uwd.svg")
        print(f"figures: {args.outdir / 'two_layer_linear.png'}, "
              f"{args.outdir / 'two_layer_linear_uwd.svg'}")
    return {"imbalance": imb, "adaptive": ad, "table": tab, "data_parallel": dp}


if __name__ == "__main__":
    main()
