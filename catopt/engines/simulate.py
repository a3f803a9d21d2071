"""Running open systems: ``simulate(system, x0, steps)``."""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.engines.hooks import progress_bar
from catopt.engines.results import Trajectory
from catopt.errors import CatoptError, DivergenceError
from catopt.functor.gradient import euler_step
from catopt.limits import check_limit
from catopt.systems.open_system import OpenContinuousSystem, OpenDiscreteSystem
from catopt.validate import integer, number

__all__ = ["simulate"]


def simulate(
    system: OpenDiscreteSystem | OpenContinuousSystem,
    x0: Any,
    steps: int,
    *,
    dt: float | None = None,
    method: str = "euler",
    record_every: int = 1,
    progress: bool | None = False,
) -> Trajectory:
    """Run ``system`` from ``x0`` for ``steps`` steps and return its :class:`Trajectory`.

    A discrete system iterates ``x_{t+1} = u(x_t, t)``. A continuous system is integrated with
    time step ``dt`` by ``method``: ``"euler"`` (``x + dt v(x)``) or ``"rk4"`` (classical
    Runge-Kutta). States are recorded every ``record_every`` steps (and at the end); the
    objective is recorded at every step when the system knows it.
    A state that becomes NaN or infinite raises :class:`~catopt.DivergenceError`.
    """
    steps = integer(steps, "steps", minimum=0)
    record_every = integer(record_every, "record_every", minimum=1)
    if not isinstance(system, (OpenDiscreteSystem, OpenContinuousSystem)):
        raise CatoptError(
            f"simulate takes an open discrete or continuous system, got {type(system).__name__}"
        )
    x = system.check_state(x0, "initial state").copy()
    program = system.program
    if isinstance(system, OpenDiscreteSystem):
        step = program.value_and_update

    elif isinstance(system, OpenContinuousSystem):
        if dt is None:
            raise CatoptError("simulating a continuous system needs a time step dt")
        h = number(dt, "dt", positive=True)
        vf = program.value_and_field
        if method == "euler":

            def step(x: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
                v, f = vf(x)
                return v, euler_step(x, h, f)

        elif method == "rk4":

            def step(x: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
                v, k1 = vf(x)
                k2 = vf(x + 0.5 * h * k1)[1]
                k3 = vf(x + 0.5 * h * k2)[1]
                k4 = vf(x + h * k3)[1]
                return v, x + (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)

        else:
            raise CatoptError(f"unknown method {method!r}; expected 'euler' or 'rk4'")

    knows = system.knows_objective
    n_rec = steps // record_every + 1 + (1 if steps % record_every else 0)
    check_limit("max_record", n_rec * x.size + (steps + 1 if knows else 0),
                f"the trajectory ({n_rec:,} recorded states of {x.size:,} coordinates)")
    values = np.empty(steps + 1) if knows else None
    states = np.empty((n_rec, x.size))
    its = np.empty(n_rec, dtype=np.int64)
    states[0] = x
    its[0] = 0
    r = 1
    bar = progress_bar(steps, progress, "simulate")
    try:
        for t in range(steps):
            v, x_new = step(x, t)
            if values is not None:
                values[t] = np.nan if v is None else v
            if not np.isfinite(x_new).all() or (v is not None and not np.isfinite(v)):
                raise DivergenceError(
                    f"the state became NaN or infinite at step {t + 1}",
                    x=x.copy(), iteration=t,
                    hint="reduce the step size (or dt)",
                )
            x = x_new
            if (t + 1) % record_every == 0:
                states[r] = x
                its[r] = t + 1
                r += 1
            bar.update(t + 1, v, None)
    finally:
        bar.close()
    if its[r - 1] != steps:
        states[r] = x
        its[r] = steps
        r += 1
    if values is not None:
        if isinstance(system, OpenDiscreteSystem):
            v_end = program.value_and_update(x, steps)[0]
        else:
            v_end = program.value_and_field(x)[0]
        values[steps] = np.nan if v_end is None else v_end
    times = its * float(dt) if isinstance(system, OpenContinuousSystem) else None
    return Trajectory(x=x, states=states[:r], iterations=its[:r], objective=values,
                      space=system.space, times=times)
