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

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from catopt.algebra.dot import dot
from catopt.engines.checkpoint import Checkpointer
from catopt.engines.hooks import progress_bar
from catopt.engines.results import CALLBACK, CONVERGED, MAX_STEPS, SolveResult
from catopt.errors import CatoptError, DivergenceError, RunInterrupted
from catopt.functor.curvature import estimate_curvature
from catopt.functor.steps import StepRule

__all__ = ["Advance", "Evaluator", "InProcess", "drive", "stop_reason", "divergence_hint",
           "field_norm", "scaled_norm"]


def field_norm(v: np.ndarray) -> float:
    """``|v|``, the Euclidean norm, finite whenever the norm itself is representable:
    ``sqrt(v @ v)`` unless the sum of squares overflows (entries above ~1e154), then
    ``m |v / m|`` with ``m = max |v_i|``. NaN or infinite exactly when an entry is."""
    with np.errstate(over="ignore", invalid="ignore"):
        s = dot(v, v) if v.size else 0.0
    if np.isfinite(s):
        return float(np.sqrt(s))
    m, ss = scaled_norm(v)
    return m * float(np.sqrt(ss)) if np.isfinite(m) and m > 0 else m


def scaled_norm(v: np.ndarray) -> tuple[float, float]:
    """``(m, s)`` with ``m = max |v_i|`` and ``s = sum (v_i / m)^2``, so ``|v| = m sqrt(s)``
    without overflow (``(m, 0)`` for ``m`` zero or not finite)."""
    if not v.size:
        return 0.0, 0.0
    with np.errstate(invalid="ignore"):
        m = float(np.max(np.abs(v)))
    if not np.isfinite(m) or m == 0:
        return m, 0.0
    w = v / m
    return m, float(w @ w)


@dataclass
class Advance:
    """What an evaluator's ``advance`` returns: the state after its last step (for a halt,
    the state the halting step found), and the objective and field norm at every state it
    evaluated, in order; ``halted`` says whether the last of them stopped the run."""

    x: np.ndarray
    values: np.ndarray
    norms: np.ndarray
    halted: bool
    #: a stop was requested (a signal on one of the ranks of a collective run): the run
    #: stops at iteration ``at`` in state ``x``, after the steps recorded in ``values``
    interrupted: bool = False
    at: int = 0
    #: which signal asked for the stop: "SIGINT" or "SIGTERM"
    signal: str = "SIGINT"


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

    def meta(self) -> dict[str, Any]:
        """What a checkpoint records so that a resume runs the same way (MPI: the reduction
        mode), as plain JSON values."""
        ...


class InProcess:
    """What the evaluators running in this one process share: the state is the whole state,
    always consistent, nothing to sync, gather or record (MPI's evaluator overrides these)."""

    engine = "local"
    chunk = 1
    root = True
    interruptible = True

    def full(self, x: np.ndarray) -> np.ndarray:
        return x

    def can_checkpoint(self) -> bool:
        return True

    def finish(self, x: np.ndarray) -> np.ndarray:
        return x

    def stats(self) -> dict[str, Any]:
        return {}

    def meta(self) -> dict[str, Any]:
        return {}


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
            f"where the run was still stable; gradient descent is unstable above 2/L: try a "
            f"step below {1 / lam:.3g}"
        )
    return "reduce the step size, or check the objective for NaN-producing operations"


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into the same clean stop as Ctrl-C while a run is driven."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While the block runs (in the main thread), SIGTERM raises :class:`Terminated`: Slurm,
    systemd, ``docker stop`` and ``timeout`` send it, and a run then stops as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _last_stable(hist: list[float], upto: int) -> int:
    """The last iteration ``s <= upto`` at which the objective had not risen
    (``hist[s] <= hist[s - 1]``, or ``s = 0``): where the run was still stable."""
    s = upto
    while s > 0 and not hist[s] <= hist[s - 1]:
        s -= 1
    return s


def _interrupted(checkpoint: Checkpointer | None, x: np.ndarray, t: int, value: float,
                 hist: list[float], gns: list[float], root: bool, sig: str,
                 meta: dict[str, Any]) -> RunInterrupted:
    what = "terminated (SIGTERM)" if sig == "SIGTERM" else "interrupted"
    if checkpoint is None:
        return RunInterrupted(
            f"{what} at iteration {t}; no checkpoint was saved (pass checkpoint=DIR, or "
            f"--checkpoint DIR on the command line, to be able to resume)",
            iteration=t, x=x.copy(), signal=sig,
        )
    path = checkpoint.save(x, t, value, hist, gns, meta) if root else checkpoint.path
    return RunInterrupted(
        f"{what} at iteration {t}; checkpoint saved to {path}: resume with "
        f"solve(..., resume={str(path.parent)!r}) or --resume {path.parent}",
        iteration=t, checkpoint=path, x=x.copy(), signal=sig,
    )


class CollectiveStop(KeyboardInterrupt):
    """A stop that every process of a collective run reached at the same iteration."""

    def __init__(self, signal: str) -> None:
        super().__init__(signal)
        self.signal = signal


def _value_at(ev: Evaluator, x: np.ndarray, t: int) -> float:
    """``f(x_t)``, saved with an interrupt's checkpoint so that a resume checks it."""
    try:
        values = ev.advance(x, t, 0, True, None).values
    except Exception:  # noqa: BLE001 - the checkpoint matters more than its check value
        return float("nan")
    return float(values[0]) if len(values) else float("nan")


def _call_back(callback: Callable[..., Any], t: int, x: np.ndarray, value: float,
               norm: float) -> bool:
    """The user's callback at iteration ``t``; an exception in it becomes a CatoptError that
    says so (the original chained), as a failing objective does."""
    try:
        return bool(callback(t, x, value, norm))
    except Exception as e:  # noqa: BLE001 - the user's code: say where it failed
        raise CatoptError(f"the callback raised {type(e).__name__} at iteration {t}: "
                          f"{e}") from e


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
    # states the run can be replayed from (the evaluators are deterministic): the starts of
    # the last two calls, and the last call start at which the objective had not risen
    starts: list[tuple[np.ndarray, int]] = [(x, start)]
    steady = (x, start)

    def state_at(s: int) -> np.ndarray:
        """The state of iteration ``s`` (a collective on MPI), replayed from a kept start."""
        xs, ts = max((p for p in (*starts, steady) if p[1] <= s), key=lambda p: p[1])
        return ev.full(ev.advance(xs, ts, s - ts, False, None).x if s > ts else xs)

    def diverged(last: int, message: str, at_x0: bool = False) -> DivergenceError:
        """The error for a run that left the finite numbers after iteration ``last``: ``x``
        is the last finite state, and the hint compares the step with the curvature where
        the run was still stable (``at_x0``: nothing was finite)."""
        x_last = state_at(last)
        if at_x0:
            hint = "the objective is not finite at x0: check x0 and the objective"
        else:
            hint = divergence_hint(problem, state_at(_last_stable(run.hist, last)), rule, last)
        return DivergenceError(message, x=x_last, iteration=last, hint=hint)

    try:
        with sigterm_as_interrupt() if ev.interruptible else contextlib.nullcontext():
            while True:
                t = run.t
                k = min(chunk, steps - t)
                if checkpoint is not None and checkpoint.every and k:
                    k = min(k, checkpoint.every - t % checkpoint.every)
                final = t + k == steps and (callback is None or k == 0)
                adv = ev.advance(x, t, k, final, tol)
                vs, ns = adv.values, adv.norms
                if adv.interrupted:  # a collective stop: every rank raises it together
                    run.hist.extend(vs.tolist())
                    run.gns.extend(ns.tolist())
                    x, run.t = adv.x, adv.at
                    raise CollectiveStop(adv.signal)
                if checkpoint is not None:
                    checkpoint.verify(t, float(vs[0]))
                j = len(vs) - 1  # the last state evaluated: iteration t + j
                if adv.halted or final:
                    run.hist.extend(vs[:j].tolist())
                    run.gns.extend(ns[:j].tolist())
                    s = t + j
                    if not (np.isfinite(vs[j]) and np.isfinite(ns[j])):
                        what = "objective" if not np.isfinite(vs[j]) else "gradient"
                        where = ("at the initial state, before any step" if s == start == 0
                                 else f"at iteration {s}")
                        shown = f"not finite ({vs[j]})" if what == "objective" else "not finite"
                        raise diverged(s - 1 if s > start else s,
                                       f"the {what} is {shown} {where}", at_x0=s == start == 0)
                    run.hist.append(float(vs[j]))
                    run.gns.append(float(ns[j]))
                    stop = stop_reason(s, float(ns[j]), tol, steps)
                    if stop is None:  # neither tol nor the last step: the update overflowed
                        raise diverged(s, f"the state became NaN or infinite at iteration "
                                          f"{s + 1}")
                    x, run.t = adv.x, s
                    run.status, run.message = stop
                    break
                if checkpoint is not None and checkpoint.due(t, start) and ev.can_checkpoint():
                    xf = ev.full(x)
                    if ev.root:
                        checkpoint.save(xf, t, float(vs[0]), run.hist, run.gns, ev.meta())
                if not run.hist or vs[0] <= run.hist[-1]:
                    steady = (x, t)  # the objective had not risen at this call's start
                run.hist.extend(vs.tolist())
                run.gns.extend(ns.tolist())
                if callback is not None and _call_back(callback, t, ev.full(x), float(vs[0]),
                                                       float(ns[0])):
                    run.status, run.message = CALLBACK, f"stopped by callback at iteration {t}"
                    break
                x, run.t = adv.x, t + k  # one statement: Ctrl-C never splits state and count
                starts[:] = [starts[-1], (x, run.t)]
                bar.update(run.t, run.hist[-1], run.gns[-1], since=t)
    except KeyboardInterrupt as stop:
        bar.close(run.t)
        if not ev.interruptible and not isinstance(stop, CollectiveStop):
            raise  # one rank of a collective run: the launcher asks all ranks to stop
        sig = "SIGTERM" if isinstance(stop, Terminated) else \
            stop.signal if isinstance(stop, CollectiveStop) else "SIGINT"
        xf = ev.full(x)
        value = _value_at(ev, x, run.t) if checkpoint is not None else float("nan")
        raise _interrupted(checkpoint, xf, run.t, value, run.hist, run.gns, ev.root,
                           sig, ev.meta()) from None
    finally:
        bar.close(run.t)
    x = ev.full(ev.finish(x))
    if checkpoint is not None and ev.root:
        checkpoint.save(x, run.t, run.hist[-1], run.hist, run.gns, ev.meta())
    return SolveResult(x=x, objective=run.hist[-1], history=np.asarray(run.hist),
                       grad_norms=np.asarray(run.gns), iterations=run.t, status=run.status,
                       message=run.message, space=problem.space, engine=ev.engine,
                       stats=ev.stats())
