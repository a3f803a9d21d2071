"""Step rules: closed forms, Armijo's condition, momentum and minibatches; and which rules
are natural: natural rules pass the functor square, non-natural ones visibly fail it."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given

import catopt as co
from catopt.functor.momentum import momentum, per_box_momentum
from catopt.functor.steps import Armijo, InverseSqrt, InverseTime, LogStep
from catopt.functor.stochastic import minibatch_problem, spawn_streams
from tests.strategies import composites


def test_schedules_closed_forms() -> None:
    assert InverseTime(0.5)(3) == pytest.approx(0.125)
    assert InverseTime(0.5, t0=2)(2) == pytest.approx(0.25)
    assert InverseSqrt(1.0)(3) == pytest.approx(0.5)
    log = LogStep(0.2, T=10)
    assert log(0) == pytest.approx(0.2)
    assert log(9) == pytest.approx(0.0)
    assert log(4) == pytest.approx(0.2 * (1 - np.log(5) / np.log(10)))
    assert log(10) == pytest.approx(0.2)  # warm restart
    assert all(log(t) >= log(t + 1) for t in range(9))
    with pytest.raises(co.CatoptError, match="T must be"):
        LogStep(0.1, T=1)
    with pytest.raises(co.CatoptError, match="positive"):
        InverseTime(-1.0)


@given(composites())
def test_natural_rules_pass_the_square(inst) -> None:
    c = co.compose(inst.d, inst.problems)
    y = np.random.default_rng(0).standard_normal(c.n)
    for rule in (co.Constant(0.1), InverseTime(0.3), InverseSqrt(0.2), LogStep(0.1, 7),
                 lambda t: 0.05 * (1 + t % 3)):
        left = co.gradient_descent(c, rule)
        right = co.compose(inst.d, [co.gradient_descent(p, rule) for p in inst.problems])
        for t in (0, 1, 5):
            np.testing.assert_allclose(left.update(y, t), right.update(y, t), rtol=1e-10,
                                       atol=1e-12)


def _two_box():
    d = co.relation("(a,) :- f(a, b), g(b)")
    f = co.OpenProblem(lambda x: (x[0] - 1) ** 2 + 2 * (x[0] - x[1]) ** 2, 2, ports=[0, 1])
    g = co.OpenProblem(lambda x: 3 * (x[0] + 2) ** 2, 1, ports=[0])
    return d, f, g


def test_a_state_dependent_rule_is_not_natural() -> None:
    """Backtracking run per box picks each box's own step; the composite picks one global
    step. The square visibly fails, so gradient_descent refuses global rules."""
    d, f, g = _two_box()
    c = co.compose(d, [f, g])
    y = np.array([3.0, -1.0])

    def per_box_armijo(p):
        rule = Armijo(eta0=1.0)

        def update(x):
            v, gr = p.value_and_grad(x)
            return x - rule.step_at(0, x, v, gr, p.objective) * gr

        return co.OpenDiscreteSystem(update, p.n, list(p.ports))

    composite_step = Armijo(eta0=1.0)
    v, gr = c.value_and_grad(y)
    global_update = y - composite_step.step_at(0, y, v, gr, c.objective) * gr
    boxwise = co.compose(d, [per_box_armijo(f), per_box_armijo(g)]).update(y)
    assert not np.allclose(boxwise, global_update)
    with pytest.raises(co.CompositionError, match="not a per-box construction"):
        co.gradient_descent(c, Armijo())


def test_armijo_satisfies_its_condition_and_converges() -> None:
    d, f, g = _two_box()
    c = co.compose(d, [f, g])
    rule = Armijo(eta0=4.0, beta=0.5, c=1e-4)
    r = co.solve(c, x0=[3.0, -1.0], step=rule, steps=500, tol=1e-6)
    assert r.converged and np.all(np.diff(r.history) <= 1e-12)
    assert rule.trials > r.iterations  # it did backtrack
    x = np.array([0.3, 0.7])
    v, gr = c.value_and_grad(x)
    eta = Armijo(eta0=4.0).step_at(0, x, v, gr, c.objective)
    assert c.objective(x - eta * gr) <= v - 1e-4 * eta * gr @ gr


def test_momentum_equals_hand_written_heavy_ball() -> None:
    d, f, g = _two_box()
    c = co.compose(d, [f, g])
    sys_ = momentum(c, 0.05, beta=0.8)
    z = np.concatenate([[3.0, -1.0], [0.0, 0.0]])
    x, v = z[:2].copy(), z[2:].copy()
    for t in range(30):
        z = sys_.update(z, t)
        v = 0.8 * v - 0.05 * c.gradient(x)
        x = x + v
    np.testing.assert_allclose(z, np.concatenate([x, v]), rtol=1e-12)
    assert sys_.labels == ("a", "b", "v.a", "v.b")
    nest = co.simulate(momentum(c, 0.05, 0.8, nesterov=True),
                       np.concatenate([[3.0, -1.0], [0, 0]]), 400)
    exact = np.linalg.solve(np.array([[6.0, -4.0], [-4.0, 10.0]]), np.array([2.0, -12.0]))
    np.testing.assert_allclose(nest.x[:2], exact, atol=1e-8)


def test_per_box_momentum_is_not_natural() -> None:
    """Composing per-box (x, v) systems counts a shared velocity's decay once per box."""
    d, f, g = _two_box()
    dv = co.relation("(a, va) :- f(a, b, va, vb), g(b, vb)")
    c = co.compose(d, [f, g])
    boxwise = co.compose(dv, [per_box_momentum(f, 0.05, 0.8), per_box_momentum(g, 0.05, 0.8)])
    z = np.array([3.0, -1.0, 0.5, -0.2])  # x = (a, b), v = (va, vb): same order both sides
    assert boxwise.labels == ("a", "va", "b", "vb")
    zb = z[[0, 2, 1, 3]]
    composite = momentum(c, 0.05, 0.8).update(z, 0)
    assert not np.allclose(boxwise.update(zb, 0)[[0, 2, 1, 3]], composite)


def test_minibatch_streams_are_independent_reproducible_and_unbiased() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 3)), rng.standard_normal(50)

    def loss(w, X, y):
        r = anp.dot(X, w) - y
        return anp.mean(r**2)

    def make(seed):
        (stream,) = spawn_streams(1, seed)
        return minibatch_problem(loss, 3, [0, 1, 2], {"X": X, "y": y}, 10, stream)

    w = np.array([0.1, -0.2, 0.3])
    a, b = make(1), make(1)
    ga = [a.gradient(w) for _ in range(5)]
    assert all(np.array_equal(u, v) for u, v in zip(ga, [b.gradient(w) for _ in range(5)],
                                                    strict=True))
    s1, s2 = spawn_streams(2, 7)
    assert not np.array_equal(s1.integers(0, 10**9, 5), s2.integers(0, 10**9, 5))
    full = 2 * X.T @ (X @ w - y) / 50
    p = make(3)
    mean = np.mean([p.gradient(w) for _ in range(4000)], axis=0)
    np.testing.assert_allclose(mean, full, atol=0.05 * np.abs(full).max() + 0.02)
    assert p.objective(w) == pytest.approx(np.mean((X @ w - y) ** 2))
    with pytest.raises(co.CatoptError, match="batch_size"):
        minibatch_problem(loss, 3, [], {"X": X, "y": y}, 0, s1)
    # JAX would jit the first batch into the gradient: refused, not silently deterministic
    with pytest.raises(co.CatoptError, match="backend='jax'"):
        minibatch_problem(loss, 3, [], {"X": X, "y": y}, 10, s1, backend="jax")
