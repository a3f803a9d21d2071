"""Generate the drawings the docs show (written under docs/img/, which git ignores)."""

from __future__ import annotations

import sys
from pathlib import Path

import autograd.numpy as anp
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import catopt as co  # noqa: E402
from catopt.category import Morphism, copy, tensor_all  # noqa: E402
from catopt.interfaces.draw import draw, render  # noqa: E402
from catopt.interfaces.draw_problem import distributed_dot  # noqa: E402
from examples.three_quadratics import build  # noqa: E402


def main(out: Path = ROOT / "docs" / "img") -> None:
    out.mkdir(parents=True, exist_ok=True)
    parts = build()
    draw(parts["diagram"], out / "three_quadratics.svg")
    draw(parts["composite"], out / "three_quadratics_problem.svg", port_labels=True)
    render(distributed_dot(parts["composite"]), out / "three_quadratics_system.svg")
    # the paper's multitask construction: its string diagram and its UWD
    rng = np.random.default_rng(0)
    tasks = []
    for i in range(3):
        X, Y = rng.standard_normal((5, 3)), rng.standard_normal(5)
        # a linear task: loss 1/2 ||X W0 Wi - Y||^2 (autograd differentiates it)
        p = co.OpenProblem(lambda W0, Wi, X=X, Y=Y: 0.5 * anp.sum((X @ W0 @ Wi - Y) ** 2),
                           {"W0": (3, 2), "Wi": (2,)}, ports=["W0", "Wi"], name=f"task{i + 1}")
        tasks.append(Morphism(p, 1, name=f"F{i + 1}"))
    mt = copy((3, 2), 3) >> tensor_all(tasks)
    draw(mt, out / "multitask_string.svg")
    d, _ = mt.to_uwd()
    draw(d, out / "multitask_uwd.svg")
    # docs/decomposition.md: a composite flow network with its solved flows
    rng = np.random.default_rng(3)
    d = co.relation("() :- f(w,x), g(u,w), h(u,w,x)")
    nets = [co.random_flow_network(rng, 5, 0.6, k, name=q)
            for k, q in zip((2, 2, 3), "fgh", strict=True)]
    for n in nets:
        n.leaves[0].a[:] += 0.5
    net = co.compose(d, nets)
    system = co.dual_decomposition(net, 0.1, carry_primal=False)
    res = co.run_system(system, np.zeros(system.n), 20000, step=0.1, tol=1e-10)
    draw(net, out / "flow_network.svg", flows=co.recover_flows(net, res.x))
    print(f"wrote drawings to {out}")


if __name__ == "__main__":
    main()
