"""Step-size rules.

A rule that depends only on the iteration number ``t`` keeps every agent in lock step, so the
composite of discretized systems is the discretized composite: such a rule is *natural*.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from catopt.errors import CatoptError

__all__ = ["StepRule", "Constant", "as_step_rule"]


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
        return float(self.fn(t))

    def __repr__(self) -> str:
        return f"schedule({self.fn!r})"


def _positive(eta: Any, what: str) -> float:
    if isinstance(eta, bool):
        raise CatoptError(f"{what} must be a positive number, got {eta!r}")
    try:
        val = float(eta)
    except (TypeError, ValueError):
        raise CatoptError(f"{what} must be a positive number, got {eta!r}") from None
    if not np.isfinite(val) or val <= 0:
        raise CatoptError(f"{what} must be a positive finite number, got {eta!r}")
    return val


def as_step_rule(step: Any) -> StepRule:
    """A :class:`StepRule` from a number, a rule, or a function of the iteration."""
    if isinstance(step, StepRule):
        return step
    if callable(step):
        return _Schedule(step)
    return Constant(step)
