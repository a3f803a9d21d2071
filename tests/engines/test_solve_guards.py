"""solve's guards: ``workers`` with a one-process engine is an error, and a constant step
that lets the objective rise is reported once, with the step compared to 2/L."""

from __future__ import annotations

import warnings

import autograd.numpy as anp
import numpy as np
import pytest

import catopt as co


def _quadratic() -> co.OpenProblem:
    return co.OpenProblem(lambda x: anp.sum(x**2), 3)  # L = 2, so 2/L = 1


@pytest.mark.parametrize("engine", [None, "local", "jax"])
def test_workers_with_a_one_process_engine_is_an_error(engine) -> None:
    with pytest.raises(co.EngineError, match="workers=2 applies to engine='mpi' only"):
        co.solve(_quadratic(), 1.0, step=0.1, steps=3, engine=engine, workers=2)


def test_rising_objective_warns_once_naming_two_over_L() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = co.solve(_quadratic(), 1.0, step=1.02, steps=200)  # |1 - 2.04| > 1: grows
    assert np.all(np.diff(r.history) > 0)  # rises at every one of 200 steps ...
    rising = [w for w in caught if issubclass(w.category, co.RisingObjectiveWarning)]
    assert len(rising) == 1  # ... and is reported once
    msg = str(rising[0].message)
    assert "step 1.02" in msg and "2/L = 1 " in msg and "iteration 0" in msg
    assert rising[0].filename == __file__  # points at the caller's solve(...) line


def test_a_stable_step_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", co.RisingObjectiveWarning)
        co.solve(_quadratic(), 1.0, step=0.98, steps=200)  # oscillates but shrinks
        co.solve(_quadratic(), 1.0, step=0.5, steps=200)   # exact after one step, then flat


def test_an_oscillation_that_rises_only_over_the_window_is_caught() -> None:
    """Near-2/L steps on a problem whose curvature grows toward the minimizer (as the
    multitask example's did with step 0.5): the objective rises over a window of steps."""
    p = co.OpenProblem(lambda x: anp.sum(anp.log(anp.cosh(3.0 * x))) + 0.05 * anp.sum(x**2),
                       2)
    # L at the minimizer 0 is 9 + 0.1 = 9.1 (2/L = 0.22), far away it is 0.1: the run
    # descends, then settles into an oscillation whose objective rises
    with pytest.warns(co.RisingObjectiveWarning, match=r"step 0.3 is too long.*2/L = 0\.\d+"):
        co.solve(p, 3.0, step=0.3, steps=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", co.RisingObjectiveWarning)
        co.solve(p, 3.0, step=0.2, steps=300)  # below 2/L everywhere: no warning
