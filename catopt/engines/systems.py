"""Running the image of any method functor through the one driver.

``run_system(system, x0, steps)`` runs an open discrete system (the image of a problem under
gradient ascent-descent, dual ascent, primal decomposition, a subgradient method, ...) with
:func:`~catopt.engines.driver.drive`, which owns stopping, divergence, checkpoints, callbacks
and progress. The evaluator is the driver's protocol with the system's program as its
arithmetic: one step is ``program.value_and_update`` (one gather, one call per leaf, one
scatter of increments); the "field norm" the driver stops on is the norm of the increment
divided by the step, ``|u(x) - x| / eta_t`` (for gradient-type methods, the norm of the
(projected) field; 1 is used for ``eta_t`` when no step rule is given).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.engines.checkpoint import prepare_checkpoints
from catopt.engines.driver import Advance, InProcess, drive, field_norm
from catopt.engines.options import ENGINES
from catopt.engines.results import SolveResult
from catopt.errors import CatoptError, EngineError
from catopt.functor.steps import Constant, StepRule, as_step_rule
from catopt.systems.open_system import OpenDiscreteSystem
from catopt.validate import integer, number

__all__ = ["SystemEvaluator", "run_system"]

#: the driver's options a caller of :func:`run_system` may pass on any engine (``start``,
#: ``history`` and ``grad_norms`` continue a run, as ``resume`` does from a checkpoint)
_DRIVER_OPTIONS = ("callback", "progress", "start", "history", "grad_norms")


class SystemEvaluator(InProcess):
    """The driver's evaluator for an open discrete system, in this process."""


    def __init__(self, system: OpenDiscreteSystem, rule: StepRule) -> None:
        self.program = system.program
        self.rule = rule

    def advance(self, x: np.ndarray, t: int, k: int, final: bool,
                tol: float | None) -> Advance:
        vu = self.program.value_and_update
        vs: list[float] = []
        ns: list[float] = []
        halted = False
        for i in range(k + final):
            v, new = vu(x, t + i)
            d = new - x
            gn = field_norm(d) / self.rule(t + i)
            val = 0.0 if v is None else float(v)  # a system that knows no objective
            vs.append(val)
            ns.append(gn)
            if not (np.isfinite(val) and np.isfinite(gn)) or (tol is not None and gn <= tol):
                halted = True
                break
            if i == k:
                break
            if not np.isfinite(new).all():
                halted = True
                break
            x = new
        return Advance(x, np.asarray(vs), np.asarray(ns), halted)


def run_system(system: OpenDiscreteSystem, x0: Any, steps: int, *, tol: float | None = None,
               step: Any = None, engine: str = "local", workers: int | None = None,
               checkpoint: Any = None, checkpoint_every: int = 0, resume: Any = None,
               **options: Any) -> SolveResult:
    """Iterate ``system`` from ``x0`` for ``steps`` steps through the driver, stopping once
    ``|u(x) - x| / step(t) <= tol``. ``step`` is the method's step (number or rule) used to
    scale the increment; ``checkpoint``, ``checkpoint_every`` and ``resume`` as
    :func:`~catopt.engines.solve.solve` (``resume`` continues a saved run of the same system:
    ``x0`` is then ignored); ``options`` as :func:`~catopt.engines.driver.drive`
    (``callback``, ``progress``, ``start``, ``history``,
    ``grad_norms``); any other option is refused with an :class:`~catopt.errors.EngineError`
    listing the known ones, as are a ``steps`` that is not an int ``>= 0`` and a negative or
    non-finite ``tol``.

    ``engine="mpi"`` runs it on ``workers`` MPI ranks: each rank updates its agent's leaves
    and the shared coordinates sum their increments (the discrete algebra's composition),
    with the MPI engine's options (:data:`catopt.engines.options.ENGINES`: ``reduction``,
    ``timeout``, ...)."""
    if not isinstance(system, OpenDiscreteSystem):
        raise CatoptError(f"run_system takes an open discrete system, got "
                          f"{type(system).__name__}")
    steps = integer(steps, "steps", minimum=0)
    if tol is not None:
        tol = number(tol, "tol", nonnegative=True)
    if engine not in ("local", "mpi"):
        raise EngineError(f"run_system runs on engine 'local' or 'mpi', got {engine!r}"[:200])
    if workers is not None:
        workers = integer(workers, "workers", minimum=1, error=EngineError)
    if engine != "mpi" and workers not in (None, 1):
        raise EngineError(f"workers={workers!r} applies to engine='mpi' only")
    known = set(_DRIVER_OPTIONS) | (set(ENGINES["mpi"].options) if engine == "mpi" else set())
    unknown = sorted(set(options) - known)
    if unknown:
        raise EngineError(f"run_system on engine={engine!r} takes no option "
                          f"{', '.join(map(repr, unknown))}; its options are: "
                          f"{', '.join(sorted(known))} (and checkpoint, checkpoint_every, "
                          "resume)")
    rule = Constant(1.0) if step is None else as_step_rule(step)
    x = system.check_state(x0, "initial state").copy()
    x = prepare_checkpoints(system, rule, steps, x, options, checkpoint=checkpoint,
                            checkpoint_every=checkpoint_every, resume=resume, engine=engine,
                            sync_every=options.get("sync_every", 1))
    if engine == "mpi":
        from catopt.engines.mpi_engine import run_mpi

        return run_mpi(system, x, rule, steps, tol, workers=workers, mode="update", **options)
    return drive(SystemEvaluator(system, rule), system, x, rule, steps, tol, **options)
