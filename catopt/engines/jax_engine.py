"""The JAX engine: gradient descent run in jitted chunks of steps.

``solve(problem, engine="jax")`` compiles the composite's whole step (gather ``phi^* y``,
``jax.vmap`` of every family's per-box gradient, ``segment_sum`` for ``phi_*``, and the update
``y <- y - eta_t grad f(y)``) into one ``jax.lax.while_loop`` over up to ``chunk`` steps, so
a run of thousands of steps makes one Python call per chunk and keeps the state on the device
between steps. The iterates are those of the local engine (the same recurrence in float64): every
step's objective and gradient norm is recorded, a run stops at the first step whose gradient
norm is at most ``tol``, and a state or objective that leaves the finite numbers raises
:class:`~catopt.errors.DivergenceError` with the last finite state. Checkpoints fall on chunk
boundaries and Ctrl-C stops at the next one.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from catopt.engines.checkpoint import Checkpointer
from catopt.engines.jax_step import PerBox, _import_jax, composite_value_and_grad
from catopt.engines.local import (
    finish,
    interrupted,
    not_finite,
    state_not_finite,
    stop_reason,
)
from catopt.engines.progress import Progress
from catopt.engines.results import SolveResult
from catopt.errors import EngineError
from catopt.functor.steps import StepRule
from catopt.problems.open_problem import OpenProblem

__all__ = ["run_jax", "DEFAULT_CHUNK"]

#: steps per jitted call, unless ``chunk=`` says otherwise
DEFAULT_CHUNK = 100


#: problem -> {(chunk, objectives, grads): (advance, data)}: compiled once per problem
_COMPILED: weakref.WeakKeyDictionary[OpenProblem, dict[Any, Any]] = weakref.WeakKeyDictionary()


def _key(given: PerBox) -> Any:
    return tuple(sorted(given.items())) if isinstance(given, Mapping) else given


def compiled(problem: OpenProblem, objectives: PerBox, grads: PerBox,
             chunk: int) -> tuple[Callable[..., Any], Any]:
    """``(advance, data)`` for ``problem``: its chunk runner, built and jitted on first use
    and kept while the problem lives (repeated solves of one problem compile once), and the
    device arrays it takes."""
    cache = _COMPILED.setdefault(problem, {})
    key = (chunk, _key(objectives), _key(grads))
    if key not in cache:
        vg, data = composite_value_and_grad(problem, objectives, grads)
        cache[key] = (_chunk_runner(vg, chunk), data)
    return cache[key]


def _chunk_runner(vg: Callable[..., Any], chunk: int) -> Callable[..., Any]:
    """A jitted ``(y, etas, active, tol, data) -> (y', values, grad_norms, done, halted)``.

    Step ``i < active`` evaluates ``f`` and ``grad f`` at the current state, records them,
    and moves by ``-etas[i] grad f`` (a step of ``eta = 0`` evaluates the last state of a run
    without moving it). The loop stops after ``active`` steps, or at the first step whose
    objective or gradient is not finite, whose gradient norm is at most ``tol``, or whose
    update is not finite, leaving the state as that step found it; ``done`` counts the steps
    recorded and ``halted`` says whether the last of them stopped the loop.
    """
    jax = _import_jax()
    import jax.numpy as jnp

    @jax.jit
    def run(y: Any, etas: Any, active: Any, tol: Any, data: Any) -> tuple[Any, ...]:
        def go_on(carry: Any) -> Any:
            return (carry[1] < active) & ~carry[2]

        def step(carry: Any) -> Any:
            y, i, _, vs, gns = carry
            v, g = vg(y, data)  # data and tol are loop invariants, not carried
            gn = jnp.sqrt(jnp.dot(g, g))
            y_new = y - etas[i] * g
            # stopping at an update that overflows costs one reduction per step, but measured
            # faster than leaving it to the host: XLA then schedules the step better
            halt = (~jnp.isfinite(v) | ~jnp.isfinite(gn) | (gn <= tol)
                    | ~jnp.all(jnp.isfinite(y_new)))
            return (jnp.where(halt, y, y_new), i + 1, halt, vs.at[i].set(v), gns.at[i].set(gn))

        z = jnp.zeros(chunk + 1, y.dtype)
        y, done, halted, vs, gns = jax.lax.while_loop(
            go_on, step, (y, jnp.asarray(0), jnp.asarray(False), z, z))
        return y, vs, gns, done, halted

    return run


def run_jax(
    problem: OpenProblem,
    x0: np.ndarray,
    rule: StepRule,
    steps: int,
    tol: float | None,
    *,
    workers: int | None = None,
    callback: Callable[[int, np.ndarray, float, float], Any] | None = None,
    progress: bool | None = None,
    start: int = 0,
    history: list[float] | None = None,
    grad_norms: list[float] | None = None,
    checkpoint: Checkpointer | None = None,
    objectives: PerBox = None,
    grads: PerBox = None,
    chunk: int = DEFAULT_CHUNK,
) -> SolveResult:
    """Gradient descent ``x_{t+1} = x_t - rule(t) grad f(x_t)`` as the local engine runs it,
    with ``chunk`` steps per jitted call (one with a ``callback``, which sees every step).

    The problem must be a composite of box families (``BoxFamily(..., backend="jax")``, or
    autograd families with per-box JAX ``objectives``/``grads`` as for
    :func:`~catopt.engines.jax_step.jax_step`); the step rule must be natural (a function of
    ``t`` alone), since its steps are computed ahead for a chunk.
    """
    if workers not in (None, 1):
        raise EngineError(f"engine='jax' runs in one process (XLA uses the machine's cores "
                          f"itself); workers={workers!r} applies to engine='mpi'")
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise EngineError(f"chunk must be a positive int (steps per jitted call), got {chunk!r}")
    if not rule.natural:
        raise EngineError(f"engine='jax' takes its steps from a natural rule (a number or a "
                          f"function of t); {type(rule).__name__} depends on the state: use "
                          f"engine='local'")
    chunk = 1 if callback is not None else int(chunk)
    advance, data = compiled(problem, objectives, grads, chunk)
    tol_arg = -1.0 if tol is None else float(tol)

    def run_chunk(x: np.ndarray, t: int, k: int,
                  final: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """Steps t .. t+k-1, then (``final``) the last state evaluated without moving."""
        etas = np.zeros(chunk + 1)
        etas[:k] = [rule(t + i) for i in range(k)]
        y, vs, ns, done, halted = advance(x, etas, k + final, tol_arg, data)
        done = int(done)
        return np.asarray(y), np.asarray(vs)[:done], np.asarray(ns)[:done], bool(halted)

    x = np.array(x0, dtype=float)
    hist: list[float] = [] if history is None else list(history)
    gns: list[float] = [] if grad_norms is None else list(grad_norms)
    converged, message = False, ""
    t = start
    bar = Progress(steps, progress, desc="solve (jax)", initial=start)
    try:
        while True:
            k = min(chunk, steps - t)
            if checkpoint is not None and checkpoint.every and k:
                k = min(k, checkpoint.every - t % checkpoint.every)
            final = t + k == steps and (callback is None or k == 0)
            y, vs, ns, halted = run_chunk(x, t, k, final)
            if checkpoint is not None:
                checkpoint.verify(t, float(vs[0]))
            j = len(vs) - 1  # the last step recorded: iteration t + j, state y
            if halted or final:  # the run ends at t + j (a halt, or the last evaluation)
                hist.extend(vs[:j].tolist())
                gns.extend(ns[:j].tolist())
                if not (np.isfinite(vs[j]) and np.isfinite(ns[j])):
                    raise not_finite(problem, rule, y, t + j, start, float(vs[j]))
                hist.append(float(vs[j]))
                gns.append(float(ns[j]))
                stop = stop_reason(t + j, float(ns[j]), tol, steps)
                if stop is None:  # neither tol nor the last step: the update overflowed
                    raise state_not_finite(problem, rule, y, t + j)
                x, t = y, t + j
                converged, message = stop
                break
            hist.extend(vs.tolist())
            gns.extend(ns.tolist())
            if callback is not None and callback(t, x, float(vs[0]), float(ns[0])):
                message = f"stopped by callback at iteration {t}"
                break
            x, t = y, t + k  # one statement: Ctrl-C never splits state and count
            bar.update(t, hist[-1], gns[-1], since=t - k)
            if checkpoint is not None and checkpoint.due(t, start):
                checkpoint.save(x, t, float(run_chunk(x, t, 0, True)[1][0]), hist, gns)
    except KeyboardInterrupt:
        bar.close(t)
        raise interrupted(checkpoint, x, t, hist, gns) from None
    finally:
        bar.close(t)
    return finish(problem, x, t, hist, gns, converged, message, checkpoint, "jax")
