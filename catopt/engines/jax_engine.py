"""The JAX evaluator: gradient descent run in jitted chunks of steps.

``solve(problem, engine="jax")`` lowers the composite's program (:func:`catopt.program.jax.lower`:
gather ``phi^* y``, ``jax.vmap`` of every family's per-box gradient, ``segment_sum`` for
``phi_*``) and compiles it with the Euler step ``y + eta_t v(y)`` (``v = -grad f``) into one
``jax.lax.while_loop`` over up to ``chunk`` steps, so a run of thousands of steps makes one
Python call per chunk and keeps the state on the device between steps. The run itself is the
one driver's (:mod:`catopt.engines.driver`), so the iterates, stops, divergence reports,
checkpoints and Ctrl-C are those of the local engine.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from catopt.engines.driver import Advance, InProcess, drive
from catopt.engines.results import SolveResult
from catopt.errors import EngineError
from catopt.functor.gradient import euler_step
from catopt.functor.steps import StepRule, checked_step
from catopt.limits import check_limit
from catopt.problems.family import fuse_families
from catopt.problems.open_problem import OpenProblem
from catopt.program.jax import lower
from catopt.validate import integer

__all__ = ["run_jax", "JaxEvaluator", "DEFAULT_CHUNK", "composite_value_and_grad",
           "jax_value_and_grad", "PerBox"]

#: steps per jitted call, unless ``chunk=`` says otherwise
DEFAULT_CHUNK = 100

PerBox = Callable[..., Any] | Mapping[str, Callable[..., Any]] | None

#: problem -> {(chunk, objectives, grads): (advance, data)}: compiled once per problem
_COMPILED: weakref.WeakKeyDictionary[OpenProblem, dict[Any, Any]] = weakref.WeakKeyDictionary()


def composite_value_and_grad(problem: OpenProblem, objectives: PerBox = None,
                             grads: PerBox = None) -> tuple[Callable[..., Any], Any]:
    """``(vg, data)``: a traceable JAX function ``vg(y, data) -> (f(y), grad f(y))`` of the
    composite and the device arrays ``data`` it takes: the JAX lowering of the program of
    ``fuse_families(problem)`` (so each run of a family's boxes is one vmapped call).

    ``objectives`` (and ``grads``) are per-box JAX functions, or mappings from family name to
    one; None takes each family's own (``BoxFamily(..., backend="jax")``).
    """
    return lower(fuse_families(problem).program, objectives, grads)


def jax_value_and_grad(problem: OpenProblem, objectives: PerBox = None, grads: PerBox = None,
                       ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """A jitted ``y -> (f(y), grad f(y))`` for a composite of box families.

    ``objectives`` is the per-box JAX objective, or a mapping from family name to one (None:
    the families' own, made with ``backend="jax"``); ``grads``, likewise, optional per-box
    gradients written by hand. For many steps, ``solve(problem, engine="jax")`` runs whole
    chunks of steps in one jitted call.
    """
    import jax

    vg, data = composite_value_and_grad(problem, objectives, grads)
    step = jax.jit(vg)

    def run(y: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = step(np.asarray(problem.check_state(y, "y"), dtype=float), data)
        return float(v), np.asarray(g)

    return run


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
    """A jitted ``(y, etas, active, tol, data) -> (y', values, norms, done, halted)``.

    Step ``i < active`` evaluates ``f`` and ``v = -grad f`` at the current state, records
    them, and takes the Euler step ``y + etas[i] v`` (a step of ``eta = 0`` evaluates the last
    state of a run without moving it). The loop stops after ``active`` steps, or at the first
    step whose objective or field is not finite, whose field norm is at most ``tol``, or whose
    update is not finite, leaving the state as that step found it; ``done`` counts the steps
    recorded and ``halted`` says whether the last of them stopped the loop.
    """
    import jax
    import jax.numpy as jnp

    def _scaled(v: Any) -> Any:  # |v| = m |v / m| when the sum of squares overflows
        m = jnp.max(jnp.abs(v))
        w = v / jnp.where(m > 0, m, 1.0)
        return jnp.where(jnp.isfinite(m) & (m > 0), m * jnp.sqrt(jnp.dot(w, w)), m)

    def _norm(v: Any) -> Any:
        """The field norm as :func:`~catopt.engines.driver.field_norm` computes it."""
        s = jnp.dot(v, v)
        return jax.lax.cond(jnp.isfinite(s), lambda: jnp.sqrt(s), lambda: _scaled(v))

    @jax.jit
    def run(y: Any, etas: Any, active: Any, tol: Any, data: Any) -> tuple[Any, ...]:
        def go_on(carry: Any) -> Any:
            return (carry[1] < active) & ~carry[2]

        def step(carry: Any) -> Any:
            y, i, _, vs, gns = carry
            v, g = vg(y, data)  # data and tol are loop invariants, not carried
            field = -g
            gn = _norm(field)
            y_new = euler_step(y, etas[i], field)
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


class JaxEvaluator(InProcess):
    """Advances the run by jitted chunks of up to ``chunk`` steps (see the module docstring).

    The problem must be a composite of box families (``BoxFamily(..., backend="jax")``, or
    autograd families with per-box JAX ``objectives``/``grads``); the step rule must be
    natural (a function of ``t`` alone), since its steps are computed ahead for a chunk.
    """

    engine = "jax"

    def __init__(self, problem: OpenProblem, rule: StepRule, *, objectives: PerBox = None,
                 grads: PerBox = None, chunk: int = DEFAULT_CHUNK) -> None:
        chunk = integer(chunk, "chunk", minimum=1, error=EngineError,
                        expected="a positive int (steps per jitted call)")
        check_limit("max_record", 2 * chunk, f"a JAX chunk of {chunk:,} steps")
        if not rule.natural:
            raise EngineError(f"engine='jax' takes its steps from a natural rule (a number or a "
                              f"function of t); {type(rule).__name__} depends on the state: "
                              f"use engine='local'")
        self.problem, self.rule = problem, rule
        self.objectives, self.grads = objectives, grads
        self.chunk = int(chunk)

    def advance(self, x: np.ndarray, t: int, k: int, final: bool,
                tol: float | None) -> Advance:
        width = max(self.chunk, 1) if k <= self.chunk else k
        run, data = compiled(self.problem, self.objectives, self.grads, width)
        etas = np.zeros(width + 1)
        etas[:k] = [checked_step(self.rule(t + i), self.rule, t + i) for i in range(k)]
        y, vs, ns, done, halted = run(x, etas, k + final, -1.0 if tol is None else float(tol),
                                      data)
        done = int(done)
        return Advance(np.asarray(y), np.asarray(vs)[:done], np.asarray(ns)[:done],
                       bool(halted))


def run_jax(problem: OpenProblem, x0: np.ndarray, rule: StepRule, steps: int,
            tol: float | None, *, workers: int | None = None, objectives: PerBox = None,
            grads: PerBox = None, chunk: int = DEFAULT_CHUNK, **options: Any) -> SolveResult:
    """Gradient descent ``x_{t+1} = x_t - rule(t) grad f(x_t)`` as the local engine runs it,
    with ``chunk`` steps per jitted call (one with a ``callback``, which sees every step):
    the driver over a :class:`JaxEvaluator`."""
    if workers not in (None, 1):
        raise EngineError(f"engine='jax' runs in one process (XLA uses the machine's cores "
                          f"itself); workers={workers!r} applies to engine='mpi'")
    chunk = integer(chunk, "chunk", minimum=1, error=EngineError,
                    expected="a positive int (steps per jitted call)")
    ev = JaxEvaluator(problem, rule, objectives=objectives, grads=grads,
                      chunk=max(1, min(chunk, steps)))  # a chunk never holds more than the run
    if options.get("callback") is not None:
        ev.chunk = 1
    return drive(ev, problem, x0, rule, steps, tol, **options)
