"""Open saddle problems: equality-constrained QPs composed along random UWDs reach the KKT
point of the composite (assembled independently from dense pullbacks), and bad input is named."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings

import catopt as co
from catopt.engines.systems import run_system
from catopt.functor.saddle import dual_ascent, gradient_ascent_descent
from catopt.problems.saddle import OpenSaddle
from tests.helpers.saddle import Reference, kinds_for
from tests.strategies import random_diagram, seeds


def random_qp_composite(seed: int, dual_only: bool):
    """Random QP Lagrangians (more primal than dual coordinates per box) on a random UWD."""
    rng = np.random.default_rng(seed)
    d = random_diagram(rng)
    kinds = kinds_for(d, rng, dual_only)
    boxes = []
    for b in range(d.n_boxes):
        js = [d.junctions[j] for j in d.box_port_indices[b]]
        shapes = list(d.port_shapes(b))
        pv, dv, ports = {}, {}, []
        for k, (s, j) in enumerate(zip(shapes, js, strict=True)):
            (dv if kinds[j] else pv)[f"v{k}"] = s
            ports.append(f"v{k}")
        m = sum(int(np.prod(s, dtype=int)) for s in dv.values())
        pv["own"] = (m + 2,)
        n = sum(int(np.prod(s, dtype=int)) for s in pv.values())
        M = rng.standard_normal((n, n))
        boxes.append(OpenSaddle.quadratic(M @ M.T / n + np.eye(n), rng.standard_normal(n),
                                          rng.standard_normal((m, n)), rng.standard_normal(m),
                                          primal=pv, dual=dv, ports=ports,
                                          name=d.qualified_boxes()[b]))
    return d, boxes


def kkt(ref: Reference, n: int):
    """The KKT point of the composite QP: grad L(z) = K z + r = 0 on the coordinates some box
    reads (K assembled column by column from the dense reference gradient)."""
    read = sum((P.sum(axis=0) for P in ref.mats), np.zeros(n)) > 0
    idx = np.flatnonzero(read)
    r = ref.grad(np.zeros(n))
    K = np.column_stack([ref.grad(np.eye(n)[i]) - r for i in idx])[idx]
    return idx, K, r[idx]


@given(seeds)
@settings(max_examples=25)
def test_equality_qps_along_random_uwds_reach_the_kkt_point(seed: int) -> None:
    d, boxes = random_qp_composite(seed, dual_only=seed % 2 == 0)
    c = co.compose(d, boxes)
    ref = Reference(d, boxes)
    idx, K, r = kkt(ref, c.n)
    assume(len(idx) and np.linalg.cond(K) < 1e6)
    z_star = np.zeros(c.n)
    z_star[idx] = np.linalg.solve(K, -r)
    # the Euler iteration of the saddle field is z -> z + eta S (K z + r); pick eta from its
    # spectrum (the test knows K; the library does not need to)
    S = np.diag(np.where(ref.dual[idx], 1.0, -1.0))
    etas = np.geomspace(1e-3, 2.0, 60)
    rho = [np.max(np.abs(np.linalg.eigvals(np.eye(len(idx)) + e * S @ K))) for e in etas]
    eta = float(etas[int(np.argmin(rho))])
    assume(min(rho) < 0.995)
    steps = int(np.ceil(np.log(1e-13) / np.log(min(rho)))) + 50
    res = run_system(gradient_ascent_descent(c, eta), np.zeros(c.n), steps, step=eta,
                     tol=1e-12)
    np.testing.assert_allclose(res.x[idx], z_star[idx], atol=1e-8)
    if seed % 2 == 0:  # dual gluing only: dual ascent reaches it too
        da = dual_ascent(c, eta)
        res2 = run_system(da, np.zeros(c.n), 20000, step=eta, tol=1e-12)
        np.testing.assert_allclose(res2.x[idx], z_star[idx], atol=1e-8)


def test_box_constraints_by_projection() -> None:
    """min (x - 2)^2 + (y + 1)^2 s.t. x + y = 0.5, 0 <= x <= 1: KKT gives x = 1, y = -0.5,
    lam = -1 (from 2 (y + 1) + lam = 0)."""
    L = OpenSaddle.quadratic(2 * np.eye(2), [-4.0, 2.0], [[1.0, 1.0]], [0.5],
                             primal={"x": (), "y": ()}, dual={"lam": ()},
                             bounds={"x": (0.0, 1.0)})
    res = run_system(gradient_ascent_descent(L, 0.2), np.zeros(3), 5000, step=0.2, tol=1e-12)
    np.testing.assert_allclose(res.x, [1.0, -0.5, -1.0], atol=1e-9)
    res = run_system(dual_ascent(L, 0.2), np.zeros(3), 5000, step=0.2, tol=1e-12)
    np.testing.assert_allclose(res.x, [1.0, -0.5, -1.0], atol=1e-9)


def test_bad_saddle_input_is_named() -> None:
    f = OpenSaddle.quadratic(np.eye(1), [0.0], [[1.0]], [1.0], primal={"x": ()},
                             dual={"lam": ()}, ports=["x", "lam"])
    with pytest.raises(co.CompositionError, match="glues a primal variable to a dual one"):
        co.compose(co.relation("() :- f(a, b), g(b, a)"), {"f": f, "g": f})
    fb = OpenSaddle.quadratic(np.eye(1), [0.0], [[1.0]], [1.0], primal={"x": ()},
                              dual={"lam": ()}, ports=["x"], bounds={"x": (0, 1)})
    with pytest.raises(co.CompositionError, match="bounded primal variable"):
        co.compose(co.relation("() :- f(a), g(a)"), {"f": fb, "g": fb})
    with pytest.raises(co.ShapeError, match="A has shape"):
        OpenSaddle.quadratic(np.eye(2), [0.0, 0.0], [[1.0]], [1.0], primal=2, dual=1)
    with pytest.raises(co.ShapeError, match="junction"):
        g = OpenSaddle.quadratic(np.eye(2), [0.0, 0.0], [[1.0, 1.0]], [1.0],
                                 primal={"x": (2,)}, dual=1, ports=["x"])
        co.compose(co.relation("() :- f(a), g(a)"), {"f": f.with_parts(ports=(0,)), "g": g})
    with pytest.raises(co.SpaceError, match="dual variable 'nope'"):
        OpenSaddle(lambda x: x[0], 1, dual=["nope"])
    with pytest.raises(co.SpaceError, match="primal variables only"):
        OpenSaddle.quadratic(np.eye(1), [0.0], [[1.0]], [1.0], primal={"x": ()},
                             dual={"lam": ()}, bounds={"lam": (0, 1)})
    with pytest.raises(co.SpaceError, match="above its upper bound"):
        OpenSaddle.quadratic(np.eye(1), [0.0], [[1.0]], [1.0], primal={"x": ()},
                             dual={"lam": ()}, bounds={"x": (1, 0)})
    with pytest.raises(co.CompositionError, match="takes an OpenSaddle"):
        dual_ascent(co.OpenProblem(lambda x: x[0] ** 2, 1), 0.1)
