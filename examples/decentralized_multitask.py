"""Exact sharing (the UWD) against decentralized copies on the multitask problem.

``examples/multitask.py``'s problem: N tasks ``y ~ tanh(X W0) w_i`` with a shared first layer
``W0``. Exact sharing is gradient descent on the UWD composite: each step every task sends its
``W0`` gradient to the shared junction and gets the sum back (one reduction: ``2 N``
messages). Decentralized: every task keeps its own copy of ``W0`` and exchanges it only with
its graph neighbours (a ring, and a random connected graph): decentralized gradient descent
(one round of ``2 |E|`` messages per iteration) and gradient tracking (two rounds). All use the
same step and start; the problem is nonconvex, and the accuracy is the distance of every copy
(and head) to the point exact sharing converges to.

STATUS (work in progress, not asserted, not in the docs): with step 0.1 and 2500 iterations the
decentralized runs end 0.75-1.4 away from the exact-sharing point (exact sharing itself is
3.6e-5 away after 2500 steps): either the step is too large for the copies' transient (each
copy moves by n times its own task's gradient) or they reach another stationary point of this
nonconvex problem. Step size and a convex variant are still to be worked out.
Run: ``python examples/decentralized_multitask.py [--quick]``.
"""

from __future__ import annotations

import argparse

import autograd
import autograd.numpy as anp
import numpy as np

from catopt.sheaves.decentralized import dgd, gradient_tracking
from examples.multitask import synthetic


def local_grads(data, l2: float = 1e-3):
    out = []
    for X, y, _, _ in data:
        def loss(W0, w, X=X, y=y):
            r = anp.dot(anp.tanh(anp.dot(X, W0)), w) - y
            return 0.5 * anp.mean(r**2) + 0.5 * l2 * (anp.sum(W0**2) / len(data) + anp.sum(w**2))
        out.append(autograd.grad(loss, (0, 1)))
    return out


def first_below(errors: list[float], tol: float) -> int | None:
    hit = np.nonzero(np.asarray(errors) <= tol)[0]
    return int(hit[0]) + 1 if len(hit) else None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    n, d, k = 8, 8, 3
    data = synthetic(rng, n, 60, 10, d=d, k=k)
    grads = local_grads(data)
    W0 = rng.standard_normal((d, k)) / np.sqrt(d)
    heads = [rng.standard_normal(k) * 0.1 for _ in range(n)]
    step, iters = 0.1, 2500 if args.quick else 5000

    def g(i):
        def gi(s, p):
            gs, gp = grads[i](s.reshape(d, k), p)
            return gs.ravel(), gp
        return gi

    local = [g(i) for i in range(n)]
    # exact sharing: gradient descent on the composite, W0 gets the sum of the tasks' gradients
    S, P = W0.ravel().copy(), [h.copy() for h in heads]
    for _ in range(4 * iters):
        G = [local[i](S, P[i]) for i in range(n)]
        S = S - step * sum(gs for gs, _ in G)
        P = [p - step * gp for p, (_, gp) in zip(P, G, strict=True)]
    s_star, p_star = S, np.stack(P)
    trace = []
    S, P = W0.ravel().copy(), [h.copy() for h in heads]
    for _ in range(iters):
        trace.append(max(np.abs(S - s_star).max(), np.abs(np.stack(P) - p_star).max()))
        G = [local[i](S, P[i]) for i in range(n)]
        S = S - step * sum(gs for gs, _ in G)
        P = [p - step * gp for p, (_, gp) in zip(P, G, strict=True)]
    trace.append(max(np.abs(S - s_star).max(), np.abs(np.stack(P) - p_star).max()))
    trace = trace[1:]

    def err(S: np.ndarray, P: list[np.ndarray]) -> float:
        return float(max(np.abs(S - s_star).max(), np.abs(np.stack(P) - p_star).max()))

    ring = [(i, (i + 1) % n) for i in range(n)]
    gen = np.random.default_rng(args.seed + 1)
    rand = sorted({tuple(sorted(e)) for e in ring[:-1]}  # a path keeps it connected
                  | {tuple(sorted(map(int, gen.choice(n, 2, replace=False)))) for _ in range(6)})
    tols = (1e-4, 1e-8)
    rows = [("exact sharing (UWD)", "-", iters, trace, 2 * n)]
    out: dict = {}
    for gname, edges in (("ring", ring), ("random", rand)):
        for mname, method in (("DGD", dgd), ("gradient tracking", gradient_tracking)):
            r = method(local, edges, W0.ravel(), p0=heads, step=step, iters=iters, monitor=err)
            rows.append((mname, f"{gname} ({len(edges)} edges)", iters, r.history,
                         r.messages // iters))
            out[f"{mname} {gname}"] = r.history[-1]
    out["exact"] = trace[-1]
    print(f"{'method':<22} {'graph':<18} {'msgs/iter':>9} " +
          " ".join(f"{'iters to ' + format(t, 'g'):>14} {'msgs':>9}" for t in tols) +
          f" {'final error':>12}")
    for name, graph, _, hist, per in rows:
        cells = []
        for t in tols:
            it = first_below(hist, t)
            cells.append(f"{it if it else 'not reached':>14} {it * per if it else '-':>9}")
        print(f"{name:<22} {graph:<18} {per:>9} " + " ".join(cells) + f" {hist[-1]:>12.2e}")
    return out


if __name__ == "__main__":
    main()
