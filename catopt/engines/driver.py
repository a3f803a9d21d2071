"""The one run driver: every engine's gradient descent is this loop over an evaluator.

``solve`` runs the image of its problem under the gradient-descent functor: the discrete system
``gradient_descent(problem, rule) = euler(gradient_flow(problem), rule)``, whose update is
``x + eta_t v(x)`` with ``v = -grad f`` the composite vector field (the step written once, in
:func:`~catopt.functor.gradient.euler_step`). A state-dependent (global) rule such as Armijo
chooses ``eta_t`` by a global reduction and takes the same Euler step.

The driver owns what a run means: where it stops (``|v| <= tol``, the last step, a callback),
what divergence is (an objective, a gradient or an update that leaves the finite numbers:
:class:`~catopt.errors.DivergenceError` with the last finite state and one curvature-based
hint), checkpoints, Ctrl-C, progress and the result. An *evaluator* supplies the arithmetic:

- :class:`~catopt.engines.local.LocalEvaluator`: the composite's :class:`~catopt.Program` in
  this process, one step per call;
- :class:`~catopt.engines.jax_engine.JaxEvaluator`: a jitted chunk of steps
  (``jax.lax.while_loop``) per call;
- :class:`~catopt.engines.mpi_worker.MpiEvaluator`: one rank's agent, whose reductions are
  collectives; every rank runs this same loop in lock step.

``advance(x, t, k, final, tol)`` takes ``k`` steps from ``x_t`` (then, with ``final``,
evaluates the last state without moving) and returns the objective and field norm at each
state it evaluated; it halts early, leaving the state as the halting step found it, at the
first non-finite objective or field, a field norm at most ``tol``, or a non-finite update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from catopt.engines.checkpoint import Checkpointer
from catopt.engines.hooks import progress_bar
from catopt.engines.results import CALLBACK, CONVERGED, MAX_STEPS, SolveResult
from catopt.errors import DivergenceError, RunInterrupted
from catopt.functor.curvature import estimate_curvature
from catopt.functor.steps import StepRule

__all__ = ["Advance", "Evaluator", "drive", "stop_reason", "divergence_hint"]


@dataclass
class Advance:
    """What an evaluator's ``advance`` returns: the state after its last step (for a halt,
    the state the halting step found), and the objective and field norm at every state it
    evaluated, in order; ``halted`` says whether the last of them stopped the run."""

    x: np.ndarray
    values: np.ndarray
    norms: np.ndarray
    halted: bool


class Evaluator(Protocol):
    """The arithmetic of one engine (see the module docstring)."""

    #: the engine's name in results
    engine: str
    #: the most steps per ``advance`` (1: every step is its own call)
    chunk: int
    #: whether this process reports (progress, messages): rank 0, or the only process
    root: bool
    #: whether Ctrl-C can be turned into a checkpoint here (not on one rank of many)
    interruptible: bool

    def advance(self, x: np.ndarray, t: int, k: int, final: bool,
                tol: float | None) -> Advance: ...

    def full(self, x: np.ndarray) -> np.ndarray:
        """The composite state from this process's state (a collective on MPI)."""
        ...

    def can_checkpoint(self) -> bool:
        """Whether the state is consistent enough to save now."""
        ...

    def finish(self, x: np.ndarray) -> np.ndarray:
        """The state at the end of the run (MPI with ``sync_every > 1`` syncs here)."""
        ...

    def stats(self) -> dict[str, Any]: ...


def stop_reason(t: int, gn: float, tol: float | None, steps: int) -> tuple[int, str] | None:
    """``(status, message)`` when iteration ``t`` with field norm ``gn`` ends the run."""
    if tol is not None and gn <= tol:
        return CONVERGED, f"converged: gradient norm {gn:.3g} <= tol {tol:.3g}"
    if t >= steps:
        return MAX_STEPS, f"ran {steps} steps"
    return None


def divergence_hint(problem: Any, x: np.ndarray, rule: StepRule, t: int) -> str:
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


def _not_finite(problem: Any, rule: StepRule, x: np.ndarray, t: int, start: int,
                value: float) -> DivergenceError:
    what = "objective" if not np.isfinite(value) else "gradient"
    where = "at the initial state, before any step" if t == start == 0 else f"at iteration {t}"
    return DivergenceError(
        f"the {what} is {value if what == 'objective' else 'not finite'} {where}",
        x=x.copy(), iteration=t,
        hint=(divergence_hint(problem, x, rule, t) if t > 0 else
              "the objective is not finite at x0: check x0 and the objective"),
    )


def _state_not_finite(problem: Any, rule: StepRule, x: np.ndarray, t: int) -> DivergenceError:
    return DivergenceError(f"the state became NaN or infinite at iteration {t + 1}",
                           x=x.copy(), iteration=t, hint=divergence_hint(problem, x, rule, t))


def _interrupted(checkpoint: Checkpointer | None, x: np.ndarray, t: int, hist: list[float],
                 gns: list[float]) -> RunInterrupted:
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


@dataclass
class _Run:
    """The bookkeeping of one run: iteration, histories, outcome."""

    t: int
    hist: list[float] = field(default_factory=list)
    gns: list[float] = field(default_factory=list)
    status: int = MAX_STEPS
    message: str = ""


def drive(
    ev: Evaluator,
    problem: Any,
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
    """Run gradient descent ``x_{t+1} = x_t + eta_t v(x_t)`` from ``x0`` (this process's
    share of it) at iteration ``start`` for ``steps`` steps in all, through the evaluator
    ``ev``, stopping early once ``|v| <= tol`` or the callback returns True.

    With ``checkpoint``, the state is saved every ``checkpoint.every`` steps (at the first
    state of the evaluator's call that reaches it), at the end, and on Ctrl-C (then
    :class:`~catopt.errors.RunInterrupted` says how to resume).
    """
    run = _Run(start, list(history or ()), list(grad_norms or ()))
    x = np.array(x0, dtype=float)
    chunk = 1 if callback is not None else max(1, int(ev.chunk))
    bar = progress_bar(steps, progress if ev.root else False, f"solve ({ev.engine})", start)
    try:
        while True:
            t = run.t
            k = min(chunk, steps - t)
            if checkpoint is not None and checkpoint.every and k:
                k = min(k, checkpoint.every - t % checkpoint.every)
            final = t + k == steps and (callback is None or k == 0)
            adv = ev.advance(x, t, k, final, tol)
            vs, ns = adv.values, adv.norms
            if checkpoint is not None:
                checkpoint.verify(t, float(vs[0]))
            j = len(vs) - 1  # the last state evaluated: iteration t + j
            if adv.halted or final:
                run.hist.extend(vs[:j].tolist())
                run.gns.extend(ns[:j].tolist())
                if not (np.isfinite(vs[j]) and np.isfinite(ns[j])):
                    raise _not_finite(problem, rule, ev.full(adv.x), t + j, start, float(vs[j]))
                run.hist.append(float(vs[j]))
                run.gns.append(float(ns[j]))
                stop = stop_reason(t + j, float(ns[j]), tol, steps)
                if stop is None:  # neither tol nor the last step: the update overflowed
                    raise _state_not_finite(problem, rule, ev.full(adv.x), t + j)
                x, run.t = adv.x, t + j
                run.status, run.message = stop
                break
            if checkpoint is not None and checkpoint.due(t, start) and ev.can_checkpoint():
                xf = ev.full(x)
                if ev.root:
                    checkpoint.save(xf, t, float(vs[0]), run.hist, run.gns)
            run.hist.extend(vs.tolist())
            run.gns.extend(ns.tolist())
            if callback is not None and callback(t, ev.full(x), float(vs[0]), float(ns[0])):
                run.status, run.message = CALLBACK, f"stopped by callback at iteration {t}"
                break
            x, run.t = adv.x, t + k  # one statement: Ctrl-C never splits state and count
            bar.update(run.t, run.hist[-1], run.gns[-1], since=t)
    except KeyboardInterrupt:
        bar.close(run.t)
        if not ev.interruptible:  # ranks of a collective run: the launcher handles Ctrl-C
            raise
        raise _interrupted(checkpoint, ev.full(x), run.t, run.hist, run.gns) from None
    finally:
        bar.close(run.t)
    x = ev.full(ev.finish(x))
    if checkpoint is not None and ev.root:
        checkpoint.save(x, run.t, run.hist[-1], run.hist, run.gns)
    return SolveResult(x=x, objective=run.hist[-1], history=np.asarray(run.hist),
                       grad_norms=np.asarray(run.gns), iterations=run.t, status=run.status,
                       message=run.message, space=problem.space, engine=ev.engine,
                       stats=ev.stats())
