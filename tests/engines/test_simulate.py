"""simulate: discrete iteration, continuous integration against closed forms, recording."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest

import catopt as co


def _expm_sym(A: np.ndarray, t: float) -> np.ndarray:
    w, V = np.linalg.eigh(A)
    return V @ np.diag(np.exp(w * t)) @ V.T


def test_gradient_flow_of_a_quadratic_matches_the_matrix_exponential() -> None:
    """x' = -A x has x(t) = exp(-A t) x0; RK4 is 4th order, Euler 1st."""
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    p = co.OpenProblem(lambda x: 0.5 * anp.dot(x, anp.dot(A, x)), 2)
    flow = co.gradient_flow(p)
    x0 = np.array([1.0, -1.0])
    exact = _expm_sym(-A, 1.0) @ x0
    errs = {}
    for method in ("euler", "rk4"):
        for k in (50, 100):
            tr = co.simulate(flow, x0, k, dt=1.0 / k, method=method)
            errs[method, k] = np.linalg.norm(tr.x - exact)
            assert tr.times is not None and tr.times[-1] == pytest.approx(1.0)
    assert errs["euler", 50] / errs["euler", 100] == pytest.approx(2.0, rel=0.05)
    assert errs["rk4", 50] / errs["rk4", 100] == pytest.approx(16.0, rel=0.1)
    assert errs["rk4", 100] < 1e-8


def test_recording_and_objective_history() -> None:
    p = co.OpenProblem(lambda x: anp.sum(x**2), 3)
    gd = co.gradient_descent(p, 0.25)
    x0 = np.ones(3)
    tr = co.simulate(gd, x0, 7, record_every=3)
    assert tr.iterations.tolist() == [0, 3, 6, 7]
    np.testing.assert_allclose(tr.states[1], 0.5**3 * x0)
    np.testing.assert_allclose(tr.x, 0.5**7 * x0)
    np.testing.assert_allclose(tr.objective, 3 * 0.25 ** np.arange(8))
    assert tr.trace("1").tolist() == pytest.approx([1.0, 0.125, 0.5**6, 0.5**7])
    with pytest.raises(co.CatoptError, match="unknown label 'q'"):
        tr.trace("q")


def test_system_without_objective_has_no_history() -> None:
    s = co.OpenDiscreteSystem(lambda x: 0.5 * x, 2)
    tr = co.simulate(s, [1.0, 2.0], 3)
    assert tr.objective is None
    np.testing.assert_allclose(tr.x, [0.125, 0.25])


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # on purpose
def test_divergence_in_simulate() -> None:
    s = co.OpenDiscreteSystem(lambda x: x * 1e200, 1)
    with pytest.raises(co.DivergenceError) as info:
        co.simulate(s, [1.0], 10)
    assert info.value.iteration == 1 and info.value.x[0] == 1e200


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": -1}, "steps must be"),
        ({"record_every": 0}, "record_every"),
    ],
)
def test_bad_options(kwargs: dict, match: str) -> None:
    s = co.OpenDiscreteSystem(lambda x: x, 1)
    opts = {"steps": 2}
    opts.update(kwargs)
    with pytest.raises(co.CatoptError, match=match):
        co.simulate(s, [0.0], **opts)


def test_continuous_needs_dt_and_known_method() -> None:
    s = co.OpenContinuousSystem(lambda x: -x, 1)
    with pytest.raises(co.CatoptError, match="needs a time step dt"):
        co.simulate(s, [1.0], 3)
    with pytest.raises(co.CatoptError, match="unknown method 'rk9'"):
        co.simulate(s, [1.0], 3, dt=0.1, method="rk9")
    with pytest.raises(co.CatoptError, match="dt must be"):
        co.simulate(s, [1.0], 3, dt=-1.0)
    with pytest.raises(co.CatoptError, match="takes an open discrete or continuous"):
        co.simulate(co.OpenProblem(lambda x: x[0], 1), [1.0], 3)  # type: ignore[arg-type]
