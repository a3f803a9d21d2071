"""Step-size rules.

A rule that depends only on the iteration number ``t`` keeps every agent in lock step, so the
composite of discretized systems is the discretized composite: such a rule is *natural*.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from catopt.errors import CatoptError
from catopt.functor.euler import euler_step
from catopt.validate import integer, number

__all__ = [
    "StepRule", "Constant", "InverseTime", "InverseSqrt", "LogStep", "Armijo", "as_step_rule",
    "checked_step",
]


def checked_step(eta: Any, rule: Any, t: int) -> float:
    """The step ``eta`` that ``rule`` gave at iteration ``t``, checked: a positive finite
    number (a schedule that returns 0, a negative number or NaN is refused, never run: a
    negative step would be gradient *ascent*)."""
    return number(eta, f"the step of {rule!r} at iteration {t}", positive=True,
                  expected="a positive finite number")


class StepRule:
    """A step size as a function of the iteration: ``rule(t) -> float``.

    ``natural`` is True when the rule depends on ``t`` alone, so that discretizing commutes
    with composition (the composite of discretized boxes is the discretized composite).
    A *global* rule (``natural = False``: Armijo backtracking, adaptive steps built from the
    current loss) overrides :meth:`step_at`, which sees the whole composite state; on a
    distributed engine it costs a global reduction per step, and it is not a per-box
    construction, so ``gradient_descent`` refuses it.
    """

    natural: bool = True

    def __call__(self, t: int) -> float:
        raise NotImplementedError

    def step_at(
        self,
        t: int,
        x: np.ndarray,
        value: float,
        grad: np.ndarray,
        objective: Callable[[np.ndarray], float],
    ) -> float:
        """The step at iteration ``t`` from state ``x`` with objective ``value`` and gradient
        ``grad``; ``objective`` evaluates the composite objective at trial points."""
        return self(t)


class Constant(StepRule):
    """The constant step ``eta``."""

    def __init__(self, eta: float) -> None:
        self.eta = _positive(eta, "step")

    def __call__(self, t: int) -> float:
        return self.eta

    def __repr__(self) -> str:
        return f"Constant({self.eta!r})"


class _Schedule(StepRule):
    def __init__(self, fn: Callable[[int], float]) -> None:
        self.fn = fn

    def __call__(self, t: int) -> float:
        try:
            return float(self.fn(t))
        except Exception as e:  # noqa: BLE001 - the user's schedule: say which and where
            raise CatoptError(f"the step schedule {self.fn!r} failed at iteration {t}: "
                              f"{type(e).__name__}: {e}") from None

    def __repr__(self) -> str:
        return f"schedule({self.fn!r})"


def _positive(eta: Any, what: str) -> float:
    return number(eta, what, positive=True, expected="a positive finite number")


def as_step_rule(step: Any) -> StepRule:
    """A :class:`StepRule` from a number, a rule, or a function of the iteration."""
    if isinstance(step, StepRule):
        return step
    if callable(step):
        return _Schedule(step)
    return Constant(step)


class InverseTime(StepRule):
    """``eta_t = eta0 / (1 + t / t0)``: natural (depends on ``t`` only)."""

    def __init__(self, eta0: float, t0: float = 1.0) -> None:
        self.eta0 = _positive(eta0, "eta0")
        self.t0 = _positive(t0, "t0")

    def __call__(self, t: int) -> float:
        return self.eta0 / (1.0 + t / self.t0)

    def __repr__(self) -> str:
        return f"InverseTime({self.eta0!r}, t0={self.t0!r})"


class InverseSqrt(StepRule):
    """``eta_t = eta0 / sqrt(1 + t / t0)``: natural."""

    def __init__(self, eta0: float, t0: float = 1.0) -> None:
        self.eta0 = _positive(eta0, "eta0")
        self.t0 = _positive(t0, "t0")

    def __call__(self, t: int) -> float:
        return self.eta0 / float(np.sqrt(1.0 + t / self.t0))

    def __repr__(self) -> str:
        return f"InverseSqrt({self.eta0!r}, t0={self.t0!r})"


class LogStep(StepRule):
    """The logarithmic step of Shamaee, Hafshejani and Saeidian (2024) with warm restarts:
    ``eta_t = eta0 (1 - ln s / ln T)`` where ``s = (t mod T) + 1`` runs 1..T in each cycle
    of ``T`` iterations. Natural: it depends on ``t`` only."""

    def __init__(self, eta0: float, T: int) -> None:
        self.eta0 = _positive(eta0, "eta0")
        self.T = integer(T, "the cycle length T", minimum=2)

    def __call__(self, t: int) -> float:
        s = (t % self.T) + 1
        return self.eta0 * (1.0 - np.log(s) / np.log(self.T))

    def __repr__(self) -> str:
        return f"LogStep({self.eta0!r}, T={self.T})"


class Armijo(StepRule):
    """Armijo backtracking: the largest ``eta = eta0 * beta^k`` with
    ``f(x - eta g) <= f(x) - c eta |g|^2``. Global, not natural: each trial needs the
    composite objective, a global reduction on a distributed engine."""

    natural = False

    def __init__(self, eta0: float = 1.0, beta: float = 0.5, c: float = 1e-4,
                 max_backtracks: int = 50) -> None:
        self.eta0 = _positive(eta0, "eta0")
        self.beta = _positive(beta, "beta")
        self.c = _positive(c, "c")
        if not self.beta < 1:
            raise CatoptError(f"beta must be below 1, got {beta!r}")
        self.max_backtracks = integer(max_backtracks, "max_backtracks", minimum=1)
        self.trials = 0

    def __call__(self, t: int) -> float:
        return self.eta0

    def step_at(self, t: int, x: np.ndarray, value: float, grad: np.ndarray,
                objective: Callable[[np.ndarray], float]) -> float:
        g2 = float(grad @ grad)
        eta = self.eta0
        for _ in range(self.max_backtracks):
            self.trials += 1
            trial = objective(euler_step(x, eta, -grad))
            if np.isfinite(trial) and trial <= value - self.c * eta * g2:
                return eta
            eta *= self.beta
        return eta

    def __repr__(self) -> str:
        return (f"Armijo(eta0={self.eta0!r}, beta={self.beta!r}, c={self.c!r}, "
                f"max_backtracks={self.max_backtracks!r})")
