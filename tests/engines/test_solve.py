"""solve: results, stopping, initial states, step estimation, divergence and bad input."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest

import catopt as co


@pytest.fixture
def quad():
    """f(x) = 1/2 (x - m)' A (x - m) with known minimizer m, as a composite of two boxes."""
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    m = np.array([1.0, -2.0])
    d = co.relation("(a, b) :- f(a, b), g(a)")
    f = co.OpenProblem(lambda x: 0.5 * anp.dot(x - m, anp.dot(A, x - m)), 2, ports=[0, 1])
    g = co.OpenProblem(lambda x: 0.5 * (x[0] - m[0]) ** 2, 1, ports=[0])
    return co.compose(d, [f, g]), np.array([[4.0, 1.0], [1.0, 2.0]]), m


def test_converges_to_the_minimizer(quad) -> None:
    c, H, m = quad
    r = co.solve(c, x0=[5.0, 5.0], step=0.2, steps=5000, tol=1e-12)
    assert r.converged and r.success
    np.testing.assert_allclose(r.x, m, atol=1e-11)
    assert r.objective == pytest.approx(0.0, abs=1e-20)
    assert len(r.history) == r.iterations + 1 == len(r.grad_norms)
    assert r.grad_norm <= 1e-12
    assert r.x_by_name["a"] == pytest.approx(1.0)
    assert np.all(np.diff(r.history) <= 1e-15)  # monotone for step < 2/L on a quadratic
    d = r.to_dict()
    assert d["x"] == {"a": pytest.approx(1.0), "b": pytest.approx(-2.0)}
    assert d["converged"] is True and d["iterations"] == r.iterations


def test_linear_rate_matches_theory(quad) -> None:
    """Error contracts by max |1 - step * lambda_i(H)| per step on a quadratic."""
    c, H, m = quad
    step = 0.1
    r = co.solve(c, x0=[5.0, 5.0], step=step, steps=60)
    lam = np.linalg.eigvalsh(H)
    rate = np.max(np.abs(1 - step * lam))
    err0 = np.linalg.norm(np.array([5.0, 5.0]) - m)
    assert np.linalg.norm(r.x - m) <= err0 * rate**60 * (1 + 1e-9)
    assert r.message == "ran 60 steps" and not r.converged and r.success


def test_x0_forms(quad) -> None:
    c, _, _ = quad
    for x0 in (None, 1.0, [1.0, 1.0], {"a": 1.0, "b": 1.0}, {"a": 1.0}):
        r = co.solve(c, x0=x0, step=0.1, steps=0)
        assert r.iterations == 0 and r.x.shape == (2,)
    assert co.solve(c, x0={"b": 3.0}, step=0.1, steps=0).x.tolist() == [0.0, 3.0]
    with pytest.raises(co.CatoptError, match="x0 names 'q'"):
        co.solve(c, x0={"q": 1.0}, step=0.1)
    with pytest.raises(co.StateError, match="x0 .* length 2"):
        co.solve(c, x0=[1.0, 2.0, 3.0], step=0.1)
    with pytest.raises(co.CatoptError, match="x0 must be"):
        co.solve(c, x0="abc", step=0.1)


def test_step_none_estimates_curvature(quad) -> None:
    c, H, m = quad
    L = np.linalg.eigvalsh(H).max()
    assert co.estimate_curvature(c, np.zeros(2)) == pytest.approx(L, rel=1e-4)
    r = co.solve(c, steps=2000, tol=1e-10)
    assert r.converged
    np.testing.assert_allclose(r.x, m, atol=1e-9)


def test_callback_can_stop(quad) -> None:
    c, _, _ = quad
    seen = []
    r = co.solve(c, step=0.1, steps=100, callback=lambda t, x, f, g: seen.append(t) or t == 5)
    assert r.iterations == 5 and seen == list(range(6))
    assert "stopped by callback" in r.message


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # on purpose
def test_divergence_reports_last_finite_state(quad) -> None:
    c, H, _ = quad
    with pytest.raises(co.DivergenceError) as info:
        co.solve(c, x0=[1.0, 1.0], step=10.0, steps=10000)
    err = info.value
    assert np.isfinite(err.x).all()
    assert err.iteration > 0
    assert "2/L" in err.hint and isinstance(err, co.CatoptError)
    # the hint's curvature estimate is the true largest eigenvalue
    L = np.linalg.eigvalsh(H).max()
    assert f"{2 / L:.3g}" in err.hint


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_at_start_is_reported_before_any_step() -> None:
    p = co.OpenProblem(lambda x: anp.sqrt(x[0]) + x[1], 2)
    with pytest.raises(co.DivergenceError, match="before any step") as info:
        co.solve(p, x0=[-1.0, 0.0], step=0.1)
    assert info.value.iteration == 0
    np.testing.assert_array_equal(info.value.x, [-1.0, 0.0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": -1}, "steps must be"),
        ({"steps": 1.5}, "steps must be"),
        ({"tol": "x"}, "tol must be a number"),
        ({"tol": -1}, "tol must be >= 0"),
        ({"step": 0}, "positive"),
        ({"step": "big"}, "positive"),
        ({"step": float("nan")}, "positive"),
        ({"engine": "gpu"}, "unknown engine 'gpu'"),
    ],
)
def test_bad_options(quad, kwargs: dict, match: str) -> None:
    c, _, _ = quad
    opts = {"step": 0.1, "steps": 5}
    opts.update(kwargs)
    with pytest.raises(co.CatoptError, match=match):
        co.solve(c, **opts)


def test_solve_takes_problems_only(quad) -> None:
    c, _, _ = quad
    with pytest.raises(co.CatoptError, match="takes an OpenProblem"):
        co.solve(co.gradient_flow(c), step=0.1)  # type: ignore[arg-type]


def test_zero_curvature_needs_a_step() -> None:
    p = co.OpenProblem(lambda x: anp.sum(x), 2)
    with pytest.raises(co.CatoptError, match="give step= explicitly"):
        co.solve(p)
