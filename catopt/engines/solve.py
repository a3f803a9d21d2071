"""``solve``: minimize an open problem by (distributed) gradient descent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from catopt.engines.local import run_local
from catopt.engines.results import SolveResult
from catopt.errors import CatoptError, EngineError
from catopt.functor.curvature import estimate_curvature
from catopt.functor.steps import as_step_rule
from catopt.problems.open_problem import OpenProblem

__all__ = ["solve", "initial_state", "ENGINES"]

#: engine name -> "module:function" running it, imported when first used
ENGINES: dict[str, str] = {
    "local": "catopt.engines.local:run_local",
}


def initial_state(problem: OpenProblem, x0: Any) -> np.ndarray:
    """A flat ``x0`` from None (zeros), a number, a flat vector, or a mapping by variable
    name or coordinate label."""
    n = problem.n
    if x0 is None:
        return np.zeros(n)
    if isinstance(x0, Mapping):
        space = problem.space
        labels = {lab: i for i, lab in enumerate(space.labels)}
        x = np.zeros(n)
        for k, v in x0.items():
            if k in space.names:
                x[space.slice(k)] = np.broadcast_to(np.asarray(v, float),
                                                    space.shapes[space.index(k)]).ravel()
            elif k in labels:
                x[labels[k]] = float(v)
            else:
                raise CatoptError(
                    f"x0 names {k!r}, which is neither a variable nor a coordinate label of the "
                    f"problem (variables: {list(space.names)[:10]})"
                )
        return x
    if np.ndim(x0) == 0:
        try:
            return np.full(n, float(x0))
        except (TypeError, ValueError):
            raise CatoptError(f"x0 must be a number, a vector or a mapping, got {x0!r}") from None
    return problem._check(x0, "x0").copy()


def solve(
    problem: OpenProblem,
    x0: Any = None,
    *,
    step: Any = None,
    steps: int = 1000,
    tol: float | None = None,
    engine: str = "local",
    workers: int | None = None,
    callback: Callable[[int, np.ndarray, float, float], Any] | None = None,
    progress: bool | None = False,
    **options: Any,
) -> SolveResult:
    """Minimize ``problem`` by gradient descent ``x <- x - step * grad f(x)``.

    Parameters
    ----------
    x0 : initial state: None (zeros), a number, a flat vector, or a mapping by variable name
        or coordinate label.
    step : a number, a step rule, or a function of the iteration; None estimates the curvature
        ``L`` at ``x0`` and uses ``1 / L``.
    steps : the most steps to take.
    tol : stop once the gradient norm is at most ``tol``.
    engine : ``"local"`` (in-process) or ``"mpi"``; ``workers`` is the number of MPI ranks.
    callback : ``callback(t, x, f, grad_norm)`` each step; returning True stops the run.
    progress : show a progress bar (None: only on an interactive terminal).

    Returns
    -------
    SolveResult
        The final iterate, objective history, iterations, converged flag and message.

    Raises
    ------
    DivergenceError
        When the state or objective becomes NaN or infinite; it carries the last finite state.
    """
    if not isinstance(problem, OpenProblem):
        raise CatoptError(f"solve takes an OpenProblem, got {type(problem).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise CatoptError(f"steps must be a non-negative int, got {steps!r}")
    if tol is not None:
        try:
            tol = float(tol)
        except (TypeError, ValueError):
            raise CatoptError(f"tol must be a number, got {tol!r}") from None
        if not tol >= 0:
            raise CatoptError(f"tol must be >= 0, got {tol!r}")
    x = initial_state(problem, x0)
    if step is None:
        lam = estimate_curvature(problem, x)
        if not (np.isfinite(lam) and lam > 0):
            raise CatoptError(
                "could not estimate a step size (the curvature at x0 is zero or not finite); "
                "give step= explicitly"
            )
        step = 1.0 / lam
    rule = as_step_rule(step)
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; expected one of {sorted(ENGINES)}")
    if engine == "local":  # one process; ``workers`` does not apply
        return run_local(problem, x, rule, int(steps), tol, callback=callback,
                         progress=progress, **options)
    import importlib

    module, _, attr = ENGINES[engine].partition(":")
    try:
        runner = getattr(importlib.import_module(module), attr)
    except ImportError as e:
        raise EngineError(f"engine {engine!r} is not available: {e}") from None
    return runner(problem, x, rule, int(steps), tol, workers=workers, callback=callback,
                  progress=progress, **options)
