"""Three quadratic subproblems sharing variables: the example of AlgebraicOptimization.jl.

    minimize f(w, x) + g(u, w, y) + h(u, w, z)

along the diagram ``(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)``, where each subproblem is
``x'Mx + m'x`` on its own decision space and exposes some of its variables as ports. We solve
it three ways and check they agree:

1. centrally: gradient descent on the composite problem;
2. distributed: the composite of the boxes' own gradient-descent systems (each box computes
   its local gradient; each shared variable sums its boxes' contributions);
3. exactly: a linear solve of the composite's optimality condition, built by hand.

Run: ``python examples/three_quadratics.py [--quick] [--step S] [--outdir DIR]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import catopt as co

#: the default step: the composite's curvature is L = 11.19 (its Hessian's largest
#: eigenvalue), so gradient descent is stable below 2/L = 0.179
STEP = 0.1

P = np.array([
    [2.1154, -0.3038, 0.368, -1.5728, -1.203],
    [-0.3038, 1.5697, 1.0226, 0.159, -0.946],
    [0.368, 1.0226, 1.847, -0.4916, -1.2668],
    [-1.5728, 0.159, -0.4916, 2.2192, 1.5315],
    [-1.203, -0.946, -1.2668, 1.5315, 1.9281],
])
Q = np.array([
    [0.2456, 0.3564, -0.0088],
    [0.3564, 0.5912, -0.0914],
    [-0.0088, -0.0914, 0.8774],
])
R = np.array([
    [2.0546, -1.333, -0.5263, 0.3189],
    [-1.333, 1.0481, -0.0211, 0.2462],
    [-0.5263, -0.0211, 0.951, -0.7813],
    [0.3189, 0.2462, -0.7813, 1.5813],
])
a = np.array([-0.26, 0.22, 0.09, 0.19, -0.96])
b = np.array([-0.72, 0.12, 0.41])
c = np.array([0.55, 0.51, 0.6, -0.61])

RELATION = "(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)"


def quadratic(M: np.ndarray, m: np.ndarray, ports: list[int], name: str) -> co.OpenProblem:
    """The open problem ``x'Mx + m'x`` exposing coordinates ``ports``."""
    return co.OpenProblem(lambda x: x @ M @ x + m @ x, len(m), ports=ports, name=name)


def build() -> dict:
    """The diagram, the three open problems (ports 0-based) and the composite."""
    d = co.relation(RELATION)
    problems = {
        "f": quadratic(P, a, [1, 3], "f"),  # f exposes w = x_1 and x = x_3
        "g": quadratic(Q, b, [0, 1, 2], "g"),
        "h": quadratic(R, c, [0, 2, 3], "h"),
    }
    return {"diagram": d, "problems": problems, "composite": co.compose(d, problems),
            "data": {"f": (P, a), "g": (Q, b), "h": (R, c)}}


def linear_solution(parts: dict) -> np.ndarray:
    """The exact minimizer: ``H y = -r`` with ``H = sum_b 2 S_b' M_b S_b``, ``r = sum_b S_b' m_b``,
    the selection matrices ``S_b`` built from the composite's labels."""
    comp = parts["composite"]
    d = parts["diagram"]
    index = {label: i for i, label in enumerate(comp.labels)}
    H = np.zeros((comp.n, comp.n))
    r = np.zeros(comp.n)
    for box, (M, m) in parts["data"].items():
        p = parts["problems"][box]
        S = np.zeros((len(m), comp.n))
        port_junction = dict(zip(p.ports, d.ports(box), strict=True))
        for k in range(len(m)):
            label = port_junction.get(k, f"{box}.{k}")
            S[k, index[label]] = 1.0
        H += S.T @ (M + M.T) @ S
        r += S.T @ m
    return np.linalg.solve(H, -r)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument("--step", type=float, default=STEP,
                        help="gradient step (default: %(default)s; 2/L is 0.179 here)")
    parser.add_argument("--outdir", type=Path, default=None,
                        help="where to write the diagram and the loss plot (default: none)")
    args = parser.parse_args(argv)
    steps = 2000 if args.quick else 20000

    parts = build()
    d, problems, comp = parts["diagram"], parts["problems"], parts["composite"]
    print(f"diagram   {RELATION}")
    print(f"composite {comp.n} variables: {', '.join(comp.labels)}")

    x0 = np.full(comp.n, 100.0)
    central = co.solve(comp, x0=x0, step=args.step, steps=steps, tol=1e-10)
    distributed = co.compose(d, {k: co.gradient_descent(p, args.step) for k, p in problems.items()})
    traj = co.simulate(distributed, x0, central.iterations, record_every=central.iterations or 1)
    exact = linear_solution(parts)

    print(f"\n{central}")
    print(f"{'label':>6} {'central':>12} {'distributed':>12} {'linear solve':>13}")
    for label, xc, xd, xe in zip(comp.labels, central.x, traj.x, exact, strict=True):
        print(f"{label:>6} {xc:12.6f} {xd:12.6f} {xe:13.6f}")

    # naturality of the functor on this problem, at a random point
    y = np.random.default_rng(0).standard_normal(comp.n)
    flow_of_composite = co.gradient_flow(comp).vector_field(y)
    composite_of_flows = co.compose(d, {k: co.gradient_flow(p) for k, p in problems.items()})
    square = np.max(np.abs(flow_of_composite - composite_of_flows.vector_field(y)))
    gd_square = np.max(np.abs(
        co.gradient_descent(comp, args.step).update(y) - distributed.update(y)
    ))
    err_c = np.max(np.abs(central.x - exact))
    err_d = np.max(np.abs(traj.x - central.x))
    print(f"\nnaturality: |flow(compose) - compose(flows)|      = {square:.2e}")
    print(f"            |descent(compose) - compose(descents)| = {gd_square:.2e}")
    print(f"central vs linear solve:     max |dx| = {err_c:.2e}")
    print(f"distributed vs central:      max |dx| = {err_d:.2e}")
    if args.outdir is not None:
        from catopt.interfaces.draw import draw

        args.outdir.mkdir(parents=True, exist_ok=True)
        draw(d, args.outdir / "three_quadratics_uwd.svg")
        # the exact optimum is known from the linear solve: plot the gap to it
        central.plot(args.outdir / "three_quadratics_loss.png", f_star=comp.objective(exact),
                     title="three quadratics: gap to the linear solve's optimum")
        print(f"\nfigures: {args.outdir / 'three_quadratics_uwd.svg'}, "
              f"{args.outdir / 'three_quadratics_loss.png'}")
    return {"central": central, "distributed": traj, "exact": exact, "square": square,
            "gd_square": gd_square}


if __name__ == "__main__":
    main()
