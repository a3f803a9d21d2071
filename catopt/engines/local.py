"""The in-process engine: distributed gradient descent run on one process.

One step is one gather (``phi^* y``), one gradient call per leaf box, and one scatter-add
(``phi_*``) into the flat state, exactly the composite system the functor produces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from catopt.engines.checkpoint import Checkpointer
from catopt.engines.progress import Progress
from catopt.engines.results import SolveResult
from catopt.errors import DivergenceError, RunInterrupted
from catopt.functor.curvature import estimate_curvature
from catopt.functor.steps import StepRule
from catopt.problems.open_problem import OpenProblem

__all__ = ["run_local", "divergence_hint", "interrupted", "stop_reason", "not_finite",
           "state_not_finite", "finish"]


def stop_reason(t: int, gn: float, tol: float | None, steps: int) -> tuple[bool, str] | None:
    """``(converged, message)`` when iteration ``t`` with gradient norm ``gn`` ends the run."""
    if tol is not None and gn <= tol:
        return True, f"converged: gradient norm {gn:.3g} <= tol {tol:.3g}"
    if t >= steps:
        return False, f"ran {steps} steps"
    return None


def interrupted(checkpoint: Checkpointer | None, x: np.ndarray, t: int, hist: list[float],
                gns: list[float]) -> RunInterrupted:
    """The error for a Ctrl-C at iteration ``t`` (state ``x``); saves a checkpoint first when
    the run has a checkpoint directory."""
    if checkpoint is None:
        return RunInterrupted(
            f"interrupted at iteration {t}; no checkpoint was saved (pass checkpoint=DIR, or "
            f"--checkpoint DIR on the command line, to be able to resume)",
            iteration=t, x=x.copy(),
        )
    path = checkpoint.save(x, t, float("nan"), hist, gns)
    return RunInterrupted(
        f"interrupted at iteration {t}; checkpoint saved to {path}: resume with "
        f"solve(..., resume={str(path.parent)!r}) or --resume {path.parent}",
        iteration=t, checkpoint=path, x=x.copy(),
    )


def divergence_hint(problem: OpenProblem, x: np.ndarray, rule: StepRule, t: int) -> str:
    """Compare the step with ``2 / L``, ``L`` the curvature estimated at ``x``."""
    try:
        lam = estimate_curvature(problem, x, iters=15)
        eta = rule(t)
    except Exception:  # the hint must never hide the divergence itself
        return "reduce the step size"
    if lam > 0 and np.isfinite(lam):
        return (
            f"step {eta:.3g} vs 2/L = {2 / lam:.3g}, with L ~ {lam:.3g} the curvature estimated "
            f"at the last finite state; gradient descent is unstable above 2/L: try a step "
            f"below {1 / lam:.3g}"
        )
    return "reduce the step size, or check the objective for NaN-producing operations"


def not_finite(problem: OpenProblem, rule: StepRule, x: np.ndarray, t: int, start: int,
               value: float) -> DivergenceError:
    """The error for an objective or gradient that is not finite at ``x`` (iteration ``t``)."""
    what = "objective" if not np.isfinite(value) else "gradient"
    where = "at the initial state, before any step" if t == start == 0 else f"at iteration {t}"
    return DivergenceError(
        f"the {what} is {value if what == 'objective' else 'not finite'} {where}",
        x=x.copy(), iteration=t,
        hint=(divergence_hint(problem, x, rule, t) if t > 0 else
              "the objective is not finite at x0: check x0 and the objective"),
    )


def state_not_finite(problem: OpenProblem, rule: StepRule, x: np.ndarray,
                     t: int) -> DivergenceError:
    """The error for a step from ``x`` (iteration ``t``) that left the finite numbers."""
    return DivergenceError(f"the state became NaN or infinite at iteration {t + 1}",
                           x=x.copy(), iteration=t, hint=divergence_hint(problem, x, rule, t))


def finish(problem: OpenProblem, x: np.ndarray, t: int, hist: list[float], gns: list[float],
           converged: bool, message: str, checkpoint: Checkpointer | None,
           engine: str) -> SolveResult:
    """The result of a run that ended at iteration ``t`` in state ``x`` (saved last when the
    run has a checkpoint directory)."""
    if checkpoint is not None:
        checkpoint.save(x, t, hist[-1], hist, gns)
    return SolveResult(x=x, objective=hist[-1], history=np.asarray(hist),
                       grad_norms=np.asarray(gns), iterations=t, converged=converged,
                       message=message, space=problem.space, engine=engine)


def run_local(
    problem: OpenProblem,
    x0: np.ndarray,
    rule: StepRule,
    steps: int,
    tol: float | None,
    *,
    callback: Callable[[int, np.ndarray, float, float], Any] | None = None,
    progress: bool | None = None,
    start: int = 0,
    history: list[float] | None = None,
    grad_norms: list[float] | None = None,
    checkpoint: Checkpointer | None = None,
) -> SolveResult:
    """Gradient descent ``x_{t+1} = x_t - rule(t) grad f(x_t)`` from ``x0`` at iteration
    ``start`` for ``steps`` steps in all, stopping early once ``|grad f| <= tol``.

    With ``checkpoint``, the state is saved every ``checkpoint.every`` steps, at the end, and on
    Ctrl-C (then :class:`~catopt.errors.RunInterrupted` says how to resume)."""
    vg = problem._value_and_grad
    x = x0.copy()
    hist: list[float] = [] if history is None else list(history)
    gns: list[float] = [] if grad_norms is None else list(grad_norms)
    converged = False
    message = ""
    t = start
    bar = Progress(steps, progress, desc="solve", initial=start)
    try:
        while True:
            v, g = vg(x)
            if checkpoint is not None:
                checkpoint.verify(t, float(v))
            gn = float(np.sqrt(g @ g))
            if not (np.isfinite(v) and np.isfinite(gn)):
                raise not_finite(problem, rule, x, t, start, float(v))
            hist.append(float(v))
            gns.append(gn)
            bar.update(t, v, gn)
            stop = stop_reason(t, gn, tol, steps)
            if stop is not None:
                converged, message = stop
                break
            if checkpoint is not None and checkpoint.due(t, start):
                checkpoint.save(x, t, float(v), hist, gns)
            if callback is not None and callback(t, x, float(v), gn):
                message = f"stopped by callback at iteration {t}"
                break
            x_new = x - rule.step_at(t, x, float(v), g, problem._value) * g
            if not np.isfinite(x_new).all():
                raise state_not_finite(problem, rule, x, t)
            x, t = x_new, t + 1  # one statement: Ctrl-C never splits state and count
    except KeyboardInterrupt:
        bar.close(t)
        raise interrupted(checkpoint, x, t, hist, gns) from None
    finally:
        bar.close(t)
    return finish(problem, x, t, hist, gns, converged, message, checkpoint, "local")
