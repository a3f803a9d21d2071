"""The gradient-descent hypergraph functor (Theorem 2.5 and Corollary 2.5.1 of the paper).

``gradient_flow`` sends an open problem ``(S, f, m)`` to the open continuous system
``(S, -grad f, m)``; ``gradient_descent(p, step)`` to the discrete system
``x -> x - step * grad f(x)``; ``euler(system, step)`` discretizes any continuous system.
All three preserve composition along UWDs:
``gradient_flow(compose(d, ps)) == compose(d, [gradient_flow(p) for p in ps])`` because
``grad (f o phi^*) = phi_* (grad f) o phi^*``. They act leaf by leaf on the flattened
structure, so the image of a composite *is* the distributed algorithm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.errors import CompositionError
from catopt.functor.steps import StepRule, as_step_rule
from catopt.problems.blocks import ObjectiveBlock
from catopt.problems.open_problem import OpenProblem
from catopt.systems.blocks import FieldBlock, UpdateBlock
from catopt.systems.open_system import OpenContinuousSystem, OpenDiscreteSystem, OpenSystem

__all__ = ["gradient_flow", "gradient_descent", "euler", "flow_block", "descent_block"]


def flow_block(block: ObjectiveBlock) -> FieldBlock:
    """The leaf ``-grad f`` of a leaf objective."""

    def value_and_field(x: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = block.value_and_grad(x)
        return v, -g

    return FieldBlock(block.size, lambda x: value_and_field(x)[1], value_and_field,
                      what=block.what)


def descent_block(block: ObjectiveBlock, rule: StepRule) -> UpdateBlock:
    """The leaf ``x -> x - rule(t) * grad f(x)`` of a leaf objective."""

    def value_and_update(x: np.ndarray, t: int) -> tuple[float, np.ndarray]:
        v, g = block.value_and_grad(x)
        return v, x - rule(t) * g

    return UpdateBlock(block.size, lambda x, t: value_and_update(x, t)[1], value_and_update,
                       what=block.what)


def _euler_block(block: FieldBlock, rule: StepRule) -> UpdateBlock:
    def value_and_update(x: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        v, f = block.value_and_field(x)
        return v, x + rule(t) * f

    return UpdateBlock(block.size, lambda x, t: value_and_update(x, t)[1],
                       value_and_update if block.knows_objective else None, what=block.what)


def _map(thing: Any, cls: type[OpenSystem], leaf: Any, functor: Any) -> Any:
    """Apply a leaf map to every block, keeping space, ports, index and diagram."""
    return cls._from_parts(
        thing.space,
        thing.port_variables,
        [leaf(b) for b in thing.blocks],
        thing.block_names,
        thing._index,
        name=thing.name,
        gluing=thing.gluing,
        components=[functor(c) for c in thing._components],
    )


def _natural(rule: StepRule) -> StepRule:
    if not rule.natural:
        raise CompositionError(
            f"step rule {rule!r} depends on the global state, so it is not a per-box "
            "construction and does not commute with composition; use it with solve(), which "
            "runs it with a global reduction each step"
        )
    return rule


def gradient_flow(problem: OpenProblem) -> OpenContinuousSystem:
    """The open continuous system ``(S, -grad f, m)`` of an open problem ``(S, f, m)``.

    Also acts on morphisms of the hypergraph category (:mod:`catopt.category`)."""
    if hasattr(problem, "map_open"):
        return problem.map_open(gradient_flow)
    if not isinstance(problem, OpenProblem):
        raise CompositionError(
            f"gradient_flow takes an OpenProblem, got {type(problem).__name__}"
        )
    return _map(problem, OpenContinuousSystem, flow_block, gradient_flow)


def gradient_descent(problem: OpenProblem, step: float | StepRule | Any) -> OpenDiscreteSystem:
    """The open discrete system ``x -> x - step * grad f(x)`` of an open problem.

    ``step`` is a number, a :class:`~catopt.functor.steps.StepRule`, or a function of the
    iteration ``t``. Equal to ``euler(gradient_flow(problem), step)``.
    """
    if hasattr(problem, "map_open"):
        return problem.map_open(lambda p: gradient_descent(p, step))
    if not isinstance(problem, OpenProblem):
        raise CompositionError(
            f"gradient_descent takes an OpenProblem, got {type(problem).__name__}"
        )
    rule = _natural(as_step_rule(step))
    return _map(problem, OpenDiscreteSystem, lambda b: descent_block(b, rule),
                lambda c: gradient_descent(c, rule))


def euler(system: OpenContinuousSystem, step: float | StepRule | Any) -> OpenDiscreteSystem:
    """Euler's method ``x -> x + step * v(x)``: continuous systems to discrete ones."""
    if hasattr(system, "map_open"):
        return system.map_open(lambda s: euler(s, step))
    if not isinstance(system, OpenContinuousSystem):
        raise CompositionError(
            f"euler takes an OpenContinuousSystem, got {type(system).__name__}"
        )
    rule = _natural(as_step_rule(step))
    return _map(system, OpenDiscreteSystem, lambda b: _euler_block(b, rule),
                lambda c: euler(c, rule))
