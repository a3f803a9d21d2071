"""``solve``: minimize an open problem by (distributed) gradient descent."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from catopt.engines.checkpoint import Checkpointer, config_fingerprints, load_checkpoint
from catopt.engines.local import run_local
from catopt.engines.results import SolveResult
from catopt.errors import CatoptError, EngineError, RisingObjectiveWarning
from catopt.functor.curvature import estimate_curvature
from catopt.functor.steps import Constant, as_step_rule
from catopt.problems.open_problem import OpenProblem

__all__ = ["solve", "initial_state", "ENGINES", "RISE_WINDOW"]

#: engine name -> "module:function" running it, imported when first used
ENGINES: dict[str, str] = {
    "local": "catopt.engines.local:run_local",
    "mpi": "catopt.engines.mpi_engine:run_mpi",
    "jax": "catopt.engines.jax_engine:run_jax",
}

#: the options ``solve(..., **options)`` passes on to each engine
ENGINE_OPTIONS: dict[str, set[str]] = {
    "local": set(),
    "mpi": {"sync_every", "reduction", "partition", "costs", "plan", "timeout", "mpiexec",
            "mpiexec_args", "stall_timeout"},
    "jax": {"chunk", "objectives", "grads"},
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
    problem
        The (composite) open problem whose objective ``f`` is minimized.
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
    workers
        The number of MPI ranks for ``engine="mpi"`` (None: the CPU count); ranks beyond the
        number of leaf boxes idle. The other engines run in one process and refuse it.
    callback
        ``callback(t, x, f, grad_norm)`` each step; returning True stops the run.
    progress
        Show a progress bar (None: only on an interactive terminal).
    checkpoint
        A folder to save checkpoints in: every ``checkpoint_every`` steps (0: only at
        the end), at the end, and on Ctrl-C, which then raises
        `catopt.errors.RunInterrupted` saying how to resume.
    checkpoint_every
        Steps between checkpoints (0: only at the end and on Ctrl-C).
    resume
        A folder (or ``.npz`` file) holding a checkpoint: continue that run from its
        iteration and state (``x0`` is ignored); the problem, step and ``sync_every`` must be
        the same, and the result is the one the uninterrupted run would have reached. Unless
        ``checkpoint`` is given, new checkpoints go to the same folder.
    **options
        Options of the chosen engine. ``engine="mpi"`` (see
        `catopt.engines.mpi_engine.run_mpi`) takes ``sync_every=k`` (k local steps
        between exchanges: an inexact variant, not gradient descent), ``reduction``,
        ``partition``, ``costs``, ``timeout``, ``stall_timeout`` and ``mpiexec_args``.
        ``engine="jax"`` (see
        `catopt.engines.jax_engine.run_jax`) takes ``chunk`` (steps per jitted call, default
        100), ``objectives`` and ``grads`` (per-box JAX functions for autograd families;
        families made with ``backend="jax"`` need none). ``engine="local"`` takes none.

    Returns
    -------
    SolveResult
        The final iterate, objective history, iterations, converged flag and message.

    Raises
    ------
    DivergenceError
        When the state or objective becomes NaN or infinite; it carries the last finite state.
    EngineError
        For an unknown engine, an option the engine does not take, or ``workers`` with an
        engine that runs in one process.

    Warns
    -----
    RisingObjectiveWarning
        Once per run, when a constant step let the objective rise over a window of
        ``RISE_WINDOW`` steps (gradient descent with a step below ``2/L`` never does), with
        the step compared to ``2 / estimate_curvature`` at the final iterate.
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
    if engine is None:
        from catopt.engines.mpi_engine import mpi_world_size

        engine = "mpi" if mpi_world_size() > 1 else "local"
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; expected one of {sorted(ENGINES)}")
    sync_every = options.get("sync_every", 1)
    if engine != "mpi":
        if sync_every != 1:
            raise EngineError(f"sync_every={sync_every!r} applies to engine='mpi' only (one "
                              f"process always exchanges every step)")
        options.pop("sync_every", None)
    allowed = ENGINE_OPTIONS.get(engine)  # None: an engine registered without a list
    unknown = [] if allowed is None else sorted(set(options) - allowed)
    if unknown:
        known = sorted(allowed or ())
        raise EngineError(f"engine={engine!r} takes no option {', '.join(map(repr, unknown))}; "
                          f"its options are: {', '.join(known) if known else '(none)'}")
    if checkpoint is not None or resume is not None:
        fps = config_fingerprints(problem, rule, sync_every)
        expect = None
        if resume is not None:
            ck = load_checkpoint(resume, fps, problem.n)
            x = ck.x
            expect = (ck.iteration, ck.value)
            options.update(start=ck.iteration, history=ck.history, grad_norms=ck.grad_norms)
            if checkpoint is None:
                checkpoint = ck.path
        assert checkpoint is not None
        options["checkpoint"] = Checkpointer(checkpoint, checkpoint_every, fps, expect)
    elif checkpoint_every:
        raise CatoptError("checkpoint_every needs a checkpoint folder: checkpoint=DIR")
    if workers is not None and engine != "mpi":  # silently ignoring it misled users
        raise EngineError(f"workers={workers!r} applies to engine='mpi' only; engine={engine!r} "
                          f"runs in one process (drop workers, or pass engine='mpi')")
    if engine == "local":
        result = run_local(problem, x, rule, int(steps), tol, callback=callback,
                           progress=progress, **options)
        _warn_if_rising(problem, rule, result, sync_every)
        return result
    import importlib

    module, _, attr = ENGINES[engine].partition(":")
    try:
        runner = getattr(importlib.import_module(module), attr)
    except ImportError as e:
        raise EngineError(f"engine {engine!r} is not available: {e}") from None
    result = runner(problem, x, rule, int(steps), tol, workers=workers, callback=callback,
                    progress=progress, **options)
    _warn_if_rising(problem, rule, result, sync_every)
    return result


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
