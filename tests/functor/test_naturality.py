"""The gradient functor preserves composition (Theorem 2.5, Corollary 2.5.1), checked on
random composites against an independent recomputation of both sides."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from tests.helpers.reference import reference_labels_and_pullbacks
from tests.strategies import composites, nested_composite, seeds


def _flows_reference(inst, y: np.ndarray) -> np.ndarray:
    """phi_* (sum_b -grad f_b)(phi^* y) with dense matrices and each box's own gradient."""
    _, mats = reference_labels_and_pullbacks(inst.d, inst.problems)
    return -sum((P.T @ p.gradient(P @ y) for P, p in zip(mats, inst.problems, strict=True)),
                np.zeros_like(y))


@given(composites())
def test_gradient_flow_square(inst) -> None:
    """gradient_flow(compose(d, ps)) == compose(d, [gradient_flow(p) for p in ps])."""
    left = co.gradient_flow(co.compose(inst.d, inst.problems))
    right = co.compose(inst.d, [co.gradient_flow(p) for p in inst.problems])
    y = np.random.default_rng(3).standard_normal(left.n)
    ref = _flows_reference(inst, y)
    np.testing.assert_allclose(left.vector_field(y), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(right.vector_field(y), ref, rtol=1e-12, atol=1e-12)
    assert left.labels == right.labels and left.ports == right.ports


@given(composites(), st.floats(1e-3, 1.0))
def test_gradient_descent_square(inst, step: float) -> None:
    """gradient_descent(compose(d, ps), s) == compose(d, [gradient_descent(p, s) ...]),
    where the right side pushes increments: y + phi_*(u_b(phi^* y) - phi^* y)."""
    left = co.gradient_descent(co.compose(inst.d, inst.problems), step)
    right = co.compose(inst.d, [co.gradient_descent(p, step) for p in inst.problems])
    y = np.random.default_rng(4).standard_normal(left.n)
    ref = y + step * _flows_reference(inst, y)
    np.testing.assert_allclose(left.update(y), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(right.update(y), ref, rtol=1e-10, atol=1e-12)


@given(composites(), st.floats(1e-3, 1.0))
def test_euler_square_and_euler_of_flow(inst, step: float) -> None:
    c = co.compose(inst.d, inst.problems)
    y = np.random.default_rng(5).standard_normal(c.n)
    a = co.euler(co.gradient_flow(c), step).update(y)
    b = co.compose(inst.d, [co.euler(co.gradient_flow(p), step) for p in inst.problems]).update(y)
    g = co.gradient_descent(c, step).update(y)
    np.testing.assert_allclose(a, g, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(b, g, rtol=1e-10, atol=1e-12)


@given(seeds)
def test_functor_square_with_nesting(seed: int) -> None:
    d, b, e, outer, inner = nested_composite(seed)
    fillers = list(outer)
    fillers[b] = co.compose(e, inner)
    left = co.gradient_flow(co.compose(d, fillers))
    flows = [co.gradient_flow(p) for p in outer]
    flows[b] = co.compose(e, [co.gradient_flow(p) for p in inner])
    right = co.compose(d, flows)
    y = np.random.default_rng(seed % 97).standard_normal(left.n)
    np.testing.assert_allclose(left.vector_field(y), right.vector_field(y), rtol=1e-12, atol=1e-12)
    # and the discrete square with a schedule (a natural rule)
    rule = lambda t: 0.1 / (1 + t)  # noqa: E731
    gd = [co.gradient_descent(p, rule) for p in outer]
    gd[b] = co.compose(e, [co.gradient_descent(p, rule) for p in inner])
    right_d = co.compose(d, gd)
    left_d = co.gradient_descent(co.compose(d, fillers), rule)
    for t in (0, 3):
        np.testing.assert_allclose(left_d.update(y, t), right_d.update(y, t), rtol=1e-10,
                                   atol=1e-12)


def test_square_detects_a_broken_gluing() -> None:
    """The reference catches a composite that forgets to sum one box's contribution."""
    from tests.strategies import random_composite

    inst = next(
        i for i in (random_composite(np.random.default_rng(s)) for s in range(100))
        if len(i.problems) >= 2 and i.problems[-1].n > 0
    )
    c = co.compose(inst.d, inst.problems)
    last = inst.problems[-1]
    space = last.n if last.space.integer else last.space
    broken = co.compose(inst.d, inst.problems[:-1] + [co.OpenProblem.zero(space, last.ports)])
    y = np.random.default_rng(0).standard_normal(c.n)
    ref = _flows_reference(inst, y)
    assert np.allclose(co.gradient_flow(c).vector_field(y), ref)
    assert not np.allclose(co.gradient_flow(broken).vector_field(y), ref)


def test_functor_rejects_non_problems_and_global_rules() -> None:
    p = co.OpenProblem(lambda x: x[0] ** 2, 1)
    with pytest.raises(co.CompositionError, match="takes an OpenProblem"):
        co.gradient_flow(co.gradient_flow(p))  # type: ignore[arg-type]
    with pytest.raises(co.CompositionError, match="takes an OpenContinuousSystem"):
        co.euler(p, 0.1)  # type: ignore[arg-type]

    class Global(co.StepRule):
        natural = False

        def __call__(self, t: int) -> float:
            return 0.1

    with pytest.raises(co.CompositionError, match="not a per-box construction"):
        co.gradient_descent(p, Global())
    with pytest.raises(co.CatoptError, match="positive"):
        co.gradient_descent(p, -1.0)
