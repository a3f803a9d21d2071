"""Open systems defined directly (not by the functor) compose by DESIGN.md's formulas."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import catopt as co
from tests.helpers.reference import reference_labels_and_pullbacks
from tests.strategies import random_diagram, random_problem, seeds


def _random_linear_systems(seed: int):
    """Random affine fields v_b(x) = M_b x + k_b on random boxes of a random diagram."""
    rng = np.random.default_rng(seed)
    d = random_diagram(rng)
    problems, fields = [], []
    for b in range(d.n_boxes):
        p, _ = random_problem(rng, list(d.port_shapes(b)))
        M = rng.standard_normal((p.n, p.n))
        k = rng.standard_normal(p.n)
        problems.append(p)
        fields.append((M, k))
    return rng, d, problems, fields


def _space(p: co.OpenProblem):
    return p.n if p.space.integer else p.space


@given(seeds)
def test_continuous_composition_formula(seed: int) -> None:
    """v(y) = phi_* (sum_b v_b)(phi^* y)."""
    rng, d, problems, fields = _random_linear_systems(seed)
    systems = [
        co.OpenContinuousSystem(lambda x, M=M, k=k: M @ x + k, _space(p), p.ports)
        for p, (M, k) in zip(problems, fields, strict=True)
    ]
    c = co.compose(d, systems)
    _, mats = reference_labels_and_pullbacks(d, problems)
    y = rng.standard_normal(c.n)
    ref = sum((P.T @ (M @ (P @ y) + k) for P, (M, k) in zip(mats, fields, strict=True)),
              np.zeros(c.n))
    np.testing.assert_allclose(c.vector_field(y), ref, rtol=1e-12, atol=1e-12)
    assert not c.knows_objective


@given(seeds)
def test_discrete_composition_pushes_increments(seed: int) -> None:
    """u(y) = y + phi_*((sum_b u_b)(phi^* y) - phi^* y), not a sum of states."""
    rng, d, problems, fields = _random_linear_systems(seed)
    systems = [
        co.OpenDiscreteSystem(lambda x, M=M, k=k: x + 0.1 * (M @ x + k), _space(p), p.ports)
        for p, (M, k) in zip(problems, fields, strict=True)
    ]
    c = co.compose(d, systems)
    _, mats = reference_labels_and_pullbacks(d, problems)
    y = rng.standard_normal(c.n)
    ref = y + sum((P.T @ (0.1 * (M @ (P @ y) + k)) for P, (M, k) in
                   zip(mats, fields, strict=True)), np.zeros(c.n))
    np.testing.assert_allclose(c.update(y), ref, rtol=1e-10, atol=1e-12)


def test_time_dependent_update() -> None:
    s = co.OpenDiscreteSystem(lambda x, t: x + t, 2)
    np.testing.assert_array_equal(s.update(np.zeros(2), 3), [3.0, 3.0])
    d = co.relation("(a,) :- p(a), q(a)")
    c = co.compose(d, [co.OpenDiscreteSystem(lambda x, t: x + t, 1, [0])] * 2)
    np.testing.assert_array_equal(c.update(np.zeros(1), 2), [4.0])


def test_system_errors() -> None:
    with pytest.raises(co.ObjectiveError, match="must be callable"):
        co.OpenContinuousSystem(3, 2)  # type: ignore[arg-type]
    with pytest.raises(co.ObjectiveError, match="must be callable"):
        co.OpenDiscreteSystem(None, 2)  # type: ignore[arg-type]
    s = co.OpenContinuousSystem(lambda x: x[:1], 2, name="short")
    with pytest.raises(co.ObjectiveError, match="vector field of 'short' returned shape"):
        s.vector_field(np.ones(2))
    u = co.OpenDiscreteSystem(lambda x: 1 / 0, 1, name="boom")
    with pytest.raises(co.ObjectiveError, match="update of 'boom' raised ZeroDivisionError"):
        u.update(np.ones(1))
    with pytest.raises(co.StateError):
        s.vector_field(np.ones(3))
    d = co.relation("(a,) :- p(a), q(a)")
    c = co.compose(d, [co.OpenContinuousSystem(lambda x: x, 1, [0]), s.__class__(
        lambda x: x[:0], 1, [0], name="bad")])
    with pytest.raises(co.ObjectiveError, match="box 'q'"):
        c.vector_field(np.ones(1))
