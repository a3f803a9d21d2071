"""``solve``: minimize an open problem by (distributed) gradient descent."""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from catopt.engines.checkpoint import prepare_checkpoints
from catopt.engines.options import ENGINES
from catopt.engines.results import STUCK, SolveResult
from catopt.errors import CatoptError, EngineError, RisingObjectiveWarning
from catopt.functor.curvature import estimate_curvature
from catopt.functor.steps import Constant, as_step_rule
from catopt.problems.open_problem import OpenProblem
from catopt.validate import integer, number

__all__ = ["solve", "solve_z2", "initial_state", "ENGINES"]


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
    return problem.check_state(x0, "x0").copy()


def solve(
    problem: OpenProblem,
    x0: Any = None,
    *,
    step: Any = None,
    steps: int = 1000,
    tol: float | None = None,
    engine: str | None = None,
    workers: int | None = None,
    callback: Callable[[int, np.ndarray, float, float], Any] | None = None,
    progress: bool | None = False,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 0,
    resume: str | os.PathLike[str] | None = None,
    **options: Any,
) -> SolveResult:
    """Minimize ``problem`` by gradient descent ``x <- x - step * grad f(x)``.

    Parameters
    ----------
    x0
        Initial state: None (zeros), a number, a flat vector, or a mapping by variable name
        or coordinate label.
    step
        A number, a step rule, or a function of the iteration; None estimates the curvature
        ``L`` at ``x0`` and uses ``1 / L``.
    steps
        The most steps to take.
    tol
        Stop once the gradient norm is at most ``tol``.
    engine
        ``"local"`` (in-process), ``"mpi"`` (``workers`` is the number of MPI ranks), or
        ``"jax"`` (composites of box families, whole chunks of steps jitted).
        None (the default) is ``"local"``, except in a process that is one rank of an MPI
        world of several (started by ``mpiexec`` or ``srun``), where it is ``"mpi"``.
    callback
        ``callback(t, x, f, grad_norm)`` each step; returning True stops the run.
    progress
        Show a progress bar (None: only on an interactive terminal).
    checkpoint
        A folder to save checkpoints in: every ``checkpoint_every`` steps (0: only at
        the end), at the end, and on Ctrl-C, which then raises
        :class:`~catopt.errors.RunInterrupted` saying how to resume.
    resume
        A folder (or ``.npz`` file) holding a checkpoint: continue that run from its
        iteration and state (``x0`` is ignored); the problem, step and ``sync_every`` must be
        the same, and the result is the one the uninterrupted run would have reached. Unless
        ``checkpoint`` is given, new checkpoints go to the same folder.

    **options
        The engine's own options, declared in :data:`catopt.engines.options.ENGINES`:
        for ``engine="mpi"`` ``sync_every`` (k local steps between exchanges: an inexact
        variant, not gradient descent), ``reduction``, ``partition``, ``costs``, ``plan``,
        ``timeout``, ``mpiexec``, ``mpiexec_args``; for ``engine="jax"`` ``chunk`` (steps per
        jitted call, default 100), ``objectives`` and ``grads`` (per-box JAX functions for
        autograd families).

    Returns
    -------
    SolveResult
        The final iterate, objective history, iterations, status and message.

    Notes
    -----
    ``solve`` runs the image of ``problem`` under the gradient-descent functor,
    ``gradient_descent(problem, step) = euler(gradient_flow(problem), step)``, through the one
    run driver (:mod:`catopt.engines.driver`) and the engine's evaluator.

    Raises
    ------
    DivergenceError
        When the state or objective becomes NaN or infinite; it carries the last finite state.
    """
    if not isinstance(problem, OpenProblem):
        raise CatoptError(f"solve takes an OpenProblem, got {type(problem).__name__}")
    steps = integer(steps, "steps", minimum=0)
    if callback is not None and not callable(callback):
        raise CatoptError(f"callback must be callable as callback(t, x, f, grad_norm), got "
                          f"{callback!r}"[:200])
    if progress is not None and not isinstance(progress, bool):
        raise CatoptError(f"progress must be True, False or None, got {progress!r}"[:200])
    if engine is not None and not isinstance(engine, str):
        raise EngineError(f"engine must be one of {list(ENGINES)}, got {engine!r}"[:200])
    if workers is not None:
        workers = integer(workers, "workers", minimum=1, error=EngineError)
    checkpoint_every = integer(checkpoint_every, "checkpoint_every", minimum=0)
    if tol is not None:
        tol = number(tol, "tol", nonnegative=True)
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
    if engine is None:
        from catopt.engines.mpi_engine import mpi_world_size

        engine = "mpi" if mpi_world_size() > 1 else "local"
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; expected one of {list(ENGINES)}")
    info = ENGINES[engine]
    if workers is not None and not info.takes_workers and workers != 1:
        raise EngineError(f"workers={workers!r} applies to engine='mpi' only; engine={engine!r} "
                          f"runs in one process")
    sync_every = options.get("sync_every", 1)
    if engine != "mpi":
        if sync_every != 1:
            raise EngineError(f"sync_every={sync_every!r} applies to engine='mpi' only (one "
                              f"process always exchanges every step)")
        options.pop("sync_every", None)
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        known = sorted(info.options)
        raise EngineError(f"engine={engine!r} takes no option {', '.join(map(repr, unknown))}; "
                          f"its options are: {', '.join(known) if known else '(none)'}")
    x = prepare_checkpoints(problem, rule, steps, x, options, checkpoint=checkpoint,
                            checkpoint_every=checkpoint_every, resume=resume,
                            sync_every=sync_every, engine=engine)
    import importlib

    module, _, attr = info.runner.partition(":")
    try:
        runner = getattr(importlib.import_module(module), attr)
    except ImportError as e:
        raise EngineError(f"engine {engine!r} is not available: {e}") from None
    if info.takes_workers:
        options["workers"] = workers
    result = runner(problem, x, rule, steps, tol, callback=callback, progress=progress,
                    **options)
    _warn_if_rising(problem, rule, result, sync_every)
    return result


def solve_z2(problem: OpenProblem, x0: Any = None, steps: int = 100) -> SolveResult:
    """Iterate the Z2 descent of a problem over Z2 (``z2_box``) until a fixed point.

    It is :func:`solve` on the Z2 gradient flow with step 1 (``theta <- theta + R[f](theta,
    e)``, XOR) and ``tol=0``: the run stops when the gradient mod 2 is zero, which is when a
    step would change nothing. ``converged`` says whether that fixed point has no wrong
    outputs; otherwise the status is :data:`~catopt.engines.results.STUCK`.
    ``stats["errors"]`` (also ``result["errors"]``) counts the wrong outputs.
    """
    from catopt.algebra.ring import Z2
    from catopt.backends.z2 import as_bits

    if getattr(problem, "algebra", None) is None or problem.algebra.ring != Z2:
        raise CatoptError(f"solve_z2 takes a Z2Problem (an open problem over Z2, e.g. from "
                          f"z2_box), got {type(problem).__name__}")
    x = np.zeros(problem.n) if x0 is None else as_bits(x0, "x0", problem.n).astype(float)
    res = solve(problem, x, step=1.0, steps=integer(steps, "steps", minimum=0), tol=0.0)
    errors = float(res.objective)
    if res.converged and errors:
        res = dataclasses.replace(res, status=STUCK, message=(
            f"a fixed point with {int(errors)} wrong outputs: nothing left to flip"))
    return dataclasses.replace(res, stats={**res.stats, "errors": errors})


#: the window (in steps) over which a rising objective is reported
RISE_WINDOW = 10


def _warn_if_rising(problem: OpenProblem, rule: Any, result: SolveResult,
                    sync_every: int = 1) -> None:
    """Warn once if, under a constant step, ``f(x_{t+W}) > f(x_t)`` beyond roundoff for some
    ``t`` (``W = RISE_WINDOW``): the step is then too long for the curvature somewhere on
    the run (below ``2/L`` the objective never rises). Step rules that may rise by design
    (schedules, momentum, stochastic) and ``sync_every > 1`` (not gradient descent) are not
    judged."""
    if not isinstance(rule, Constant) or sync_every != 1:
        return
    h = np.asarray(result.history, dtype=float)
    if h.size <= RISE_WINDOW or not np.isfinite(h).all():
        return
    rise = h[RISE_WINDOW:] - h[:-RISE_WINDOW]
    slack = 1e-9 * np.maximum(np.abs(h[:-RISE_WINDOW]), 1e-300)
    bad = np.flatnonzero(rise > slack)
    if bad.size == 0:
        return
    t = int(bad[0])
    try:
        lam = float(estimate_curvature(problem, np.asarray(result.x, dtype=float)))
    except CatoptError:
        lam = float("nan")
    bound = f"2/L = {2 / lam:.3g} (L = {lam:.3g}, estimate_curvature at the final iterate)" \
        if np.isfinite(lam) and lam > 0 else "2/L (L the curvature; see estimate_curvature)"
    warnings.warn(RisingObjectiveWarning(
        f"the objective rose from {h[t]:.6g} at iteration {t} to {h[t + RISE_WINDOW]:.6g} at "
        f"iteration {t + RISE_WINDOW}: the step {rule.eta:.3g} is too long somewhere on this "
        f"run; gradient descent is stable below {bound}: try a smaller step, or step=None"),
        stacklevel=3)
