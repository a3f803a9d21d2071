"""The in-process evaluator: the composite's program run in this process, one step a call.

One step is the distributed algorithm of the gradient functor run on one process: one gather
(``phi^* y``), one call per leaf, one scatter-add (``phi_*``) into the flat state (the
:class:`~catopt.Program` of ``gradient_flow(problem)``), then the Euler step
``y + eta_t v(y)``. The run itself (stopping, divergence, checkpoints, Ctrl-C) is the
driver's (:mod:`catopt.engines.driver`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.engines.driver import Advance, InProcess, drive, field_norm
from catopt.engines.results import SolveResult
from catopt.functor.gradient import euler_step, gradient_flow
from catopt.functor.steps import StepRule, checked_step
from catopt.problems.open_problem import OpenProblem

__all__ = ["LocalEvaluator", "run_local"]

class LocalEvaluator(InProcess):
    """Runs ``gradient_descent(problem, rule)`` in this process (see the module docstring).

    The step is the Euler step of the gradient flow's program at ``rule(t)``; a global rule
    (``rule.natural`` False, e.g. Armijo) chooses it from the whole state with
    ``rule.step_at``, which here is a local computation.
    """


    def __init__(self, problem: OpenProblem, rule: StepRule) -> None:
        self.flow = gradient_flow(problem)
        self.program = self.flow.program
        self.objective = problem.program.value
        self.rule = rule
        self.ring = self.program.ring

    def advance(self, x: np.ndarray, t: int, k: int, final: bool,
                tol: float | None) -> Advance:
        vf = self.program.value_and_field
        rule = self.rule
        vs: list[float] = []
        ns: list[float] = []
        halted = False
        for i in range(k + final):
            v, f = vf(x)
            gn = field_norm(f)
            vs.append(float(v))  # type: ignore[arg-type]
            ns.append(gn)
            if not (np.isfinite(v) and np.isfinite(gn)) or (tol is not None and gn <= tol):
                halted = True
                break
            if i == k:  # the final evaluation: no step
                break
            eta = checked_step(rule(t + i) if rule.natural else rule.step_at(
                t + i, x, float(v), -f, self.objective), rule, t + i)  # type: ignore[arg-type]
            x_new = euler_step(x, eta, f)
            if not self.ring.exact:
                x_new = self.ring.reduce(x_new)
            if not np.isfinite(x_new).all():
                halted = True
                break
            x = x_new
        return Advance(x, np.asarray(vs), np.asarray(ns), halted)


def run_local(problem: OpenProblem, x0: np.ndarray, rule: StepRule, steps: int,
              tol: float | None, **options: Any) -> SolveResult:
    """Gradient descent ``x_{t+1} = x_t - rule(t) grad f(x_t)`` in this process: the driver
    over a :class:`LocalEvaluator`; ``options`` as :func:`~catopt.engines.driver.drive`."""
    return drive(LocalEvaluator(problem, rule), problem, x0, rule, steps, tol, **options)
