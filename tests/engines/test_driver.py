"""The one driver runs the functor's image: ``solve`` is ``gradient_descent``'s discrete system
iterated, results carry an integer status, and ``solve_z2`` is the same driver over Z2."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import catopt as co
from catopt.backends.z2 import var
from catopt.functor.boolean import z2_box
from tests.strategies import composites


class Recorded(co.StepRule):
    """A natural schedule ``eta_t = eta0 / (1 + t)`` that records every ``t`` asked for."""

    def __init__(self, eta0: float, shift: int = 0) -> None:
        self.eta0, self.shift, self.asked = eta0, shift, []

    def __call__(self, t: int) -> float:
        self.asked.append(t)
        return self.eta0 / (1.0 + t + self.shift)


@settings(max_examples=25, deadline=None)
@given(composites())
def test_solve_iterates_the_discrete_system_of_gradient_descent(inst) -> None:
    c = co.compose(inst.d, inst.problems)
    x0 = np.random.default_rng(0).standard_normal(c.n) * 0.1
    steps = 7
    rule = Recorded(0.01)
    res = co.solve(c, x0, step=rule, steps=steps)
    traj = co.simulate(co.gradient_descent(c, Recorded(0.01)), x0, steps)
    np.testing.assert_allclose(res.x, traj.x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.history, traj.objective, rtol=1e-12, atol=1e-12)
    # the driver asked the rule once per step, for iterations 0..steps-1, in order
    assert [t for t in rule.asked if t < steps] == list(range(steps))
    # companion: the system of another schedule (shifted by one) is told apart
    other = co.simulate(co.gradient_descent(c, Recorded(0.01, shift=1)), x0, steps)
    if np.any(c.gradient(x0) != 0):
        assert not np.allclose(res.x, other.x, rtol=1e-12, atol=1e-12)


def test_status_is_an_int_and_success_follows_it() -> None:
    p = co.OpenProblem(lambda x: (x[0] - 1.0) ** 2, 1)
    r = co.solve(p, step=0.1, steps=1000, tol=1e-10)
    assert (r.status, r.converged, r.success) == (co.engines.results.CONVERGED, True, True)
    r = co.solve(p, step=0.1, steps=3)
    assert (r.status, r.converged, r.success) == (co.engines.results.MAX_STEPS, False, True)
    r = co.solve(p, step=0.1, steps=10, callback=lambda t, x, f, g: t == 2)
    assert (r.status, r.success, r.iterations) == (co.engines.results.CALLBACK, False, 2)
    assert r["x"] is r.x and r["status"] == r.status
    with pytest.raises(KeyError):
        r["nothing"]


def test_solve_z2_returns_a_solve_result() -> None:
    box = z2_box([var(0) * var(1) + var(0)], [1], 2, ports=[0, 1])
    out = co.solve_z2(box, [0, 0], steps=20)
    assert isinstance(out, co.SolveResult) and out.converged and out.status == 0
    assert out["errors"] == 0 and out.objective == 0
    # a circuit that cannot be fixed: x0 * x1 = 1 from (0, 0) has gradient (x1, x0) * e = 0
    stuck = z2_box([var(0) * var(1)], [1], 2)
    res = co.solve_z2(stuck, [0, 0], steps=5)
    assert res.status == co.engines.results.STUCK and not res.converged and not res.success
    assert res.stats["errors"] == 1 and res.iterations == 0


def test_z2_boxes_live_in_the_category_view_too() -> None:
    """copy >> (F @ F) with Z2 boxes, generators made over Z2 by name, and the Z2 descent of
    a morphism, which equals the descent of its carried composite."""
    from catopt.category import Morphism, copy, tensor_all
    from catopt.functor.boolean import z2_descent

    F = Morphism(z2_box([var(0) + var(1)], [1], 2, ports=[0, 1], name="F"), 1)
    m = copy((), 2) >> tensor_all([F, F])
    assert m.kind == "problem over Z2"
    m2 = copy((), 2, kind="z2problem") >> (F @ F)
    y = np.array([1.0, 0.0, 1.0])
    assert np.array_equal(m.thing.gradient(y), m2.thing.gradient(y))
    stepped = z2_descent(m)
    assert isinstance(stepped, Morphism) and stepped.kind == "discrete over Z2"
    assert np.array_equal(stepped.thing.update(y), z2_descent(m.thing).update(y))
    assert set(np.unique(stepped.thing.update(y))) <= {0.0, 1.0}
