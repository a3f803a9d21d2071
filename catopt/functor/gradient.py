"""The gradient-descent hypergraph functor (Theorem 2.5 and Corollary 2.5.1 of the paper).

``gradient_flow`` sends an open problem ``(S, f, m)`` to the open continuous system
``(S, -grad f, m)``; ``euler(system, step)`` discretizes any continuous system,
``x -> x + step * v(x)``; ``gradient_descent(p, step)`` is their composite,
``euler(gradient_flow(p), step)``: ``x -> x - step * grad f(x)``. All three preserve
composition along UWDs:
``gradient_flow(compose(d, ps)) == compose(d, [gradient_flow(p) for p in ps])`` because
``grad (f o phi^*) = phi_* (grad f) o phi^*``. They act leaf by leaf on the flattened
structure, so the image of a composite *is* the distributed algorithm, and ``solve`` runs
exactly that image (see :mod:`catopt.engines.driver`). They act over any coefficient ring:
over Z2, ``-1 = 1`` and a step of 1 is the XOR update of Reverse Derivative Ascent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from catopt.bulk import with_paused_gc
from catopt.errors import CompositionError
from catopt.functor.euler import euler_step
from catopt.functor.steps import StepRule, as_step_rule
from catopt.problems.blocks import ObjectiveLeaf
from catopt.problems.open_problem import OpenProblem
from catopt.program.open import Open
from catopt.program.quadratic import Quadratic, quadratic_of
from catopt.systems.blocks import FieldLeaf, UpdateLeaf
from catopt.systems.open_system import (
    ContinuousAlgebra,
    DiscreteAlgebra,
    OpenContinuousSystem,
)

__all__ = ["gradient_flow", "gradient_descent", "euler", "euler_step", "flow_leaf",
           "euler_leaf", "map_leaves"]


def flow_leaf(leaf: ObjectiveLeaf) -> FieldLeaf:
    """The leaf ``-grad f`` of a leaf objective (it keeps knowing ``f``, and its quadratic
    form when it has one, with the sign of the field)."""

    def value_and_field(x: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = leaf.value_and_grad(x)
        return v, -g

    def quadratic() -> Quadratic | None:
        form = quadratic_of(leaf)
        return None if form is None else form.negated()

    return FieldLeaf(leaf.size, lambda x: value_and_field(x)[1], value_and_field,
                     what=leaf.what, quadratic=quadratic)


def euler_leaf(leaf: FieldLeaf, rule: StepRule) -> UpdateLeaf:
    """The leaf ``x -> x + rule(t) * v(x)`` of a leaf vector field."""

    def value_and_update(x: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        v, f = leaf.value_and_field(x)
        return v, euler_step(x, rule(t), f)

    return UpdateLeaf(leaf.size, lambda x, t: value_and_update(x, t)[1],
                      value_and_update if leaf.knows_objective else None, what=leaf.what)


@with_paused_gc
def map_leaves(thing: Open, algebra: Any, leaf: Callable[[Any], Any],
               functor: Callable[[Any], Any]) -> Any:
    """A functor's action on an open thing: ``leaf`` applied to every leaf, the result
    assembled in ``algebra`` (over the thing's ring) with the same space, ports, index and
    diagram, and ``functor`` applied to the components (so drawings show the image)."""
    target = type(algebra)(thing.algebra.ring)
    parts = thing.parts
    return target.assemble(parts.replace(
        leaves=tuple(leaf(b) for b in parts.leaves),
        components=tuple(functor(c) for c in parts.components)))


def natural_rule(step: Any) -> StepRule:
    """``step`` as a :class:`StepRule` that a functor may apply box by box: one that does not
    depend on the global state (else a ``CompositionError`` saying why)."""
    rule = as_step_rule(step)
    if not rule.natural:
        raise CompositionError(
            f"step rule {rule!r} depends on the global state, so it is not a per-box "
            "construction and does not commute with composition; use it with solve(), which "
            "runs it with a global reduction each step"
        )
    return rule


def gradient_flow(problem: OpenProblem) -> OpenContinuousSystem:
    """The open continuous system ``(S, -grad f, m)`` of an open problem ``(S, f, m)``,
    built once per problem (kept on it, so every ``solve`` of one problem shares it).

    Also acts on morphisms of the hypergraph category (:mod:`catopt.category`)."""
    if hasattr(problem, "map_open"):
        return problem.map_open(gradient_flow)
    if not isinstance(problem, OpenProblem):
        raise CompositionError(
            f"gradient_flow takes an OpenProblem, got {type(problem).__name__}"
        )
    return problem.image("gradient_flow", lambda: map_leaves(
        problem, ContinuousAlgebra(), flow_leaf, gradient_flow))


def gradient_descent(problem: OpenProblem, step: float | StepRule | Any) -> Any:
    """The open discrete system ``x -> x - step * grad f(x)`` of an open problem:
    ``euler(gradient_flow(problem), step)``.

    ``step`` is a number, a :class:`~catopt.functor.steps.StepRule`, or a function of the
    iteration ``t``; it must be natural (a function of ``t`` alone).
    """
    if hasattr(problem, "map_open"):
        return problem.map_open(lambda p: gradient_descent(p, step))
    if not isinstance(problem, OpenProblem):
        raise CompositionError(
            f"gradient_descent takes an OpenProblem, got {type(problem).__name__}"
        )
    return euler(gradient_flow(problem), natural_rule(step))


def euler(system: OpenContinuousSystem, step: float | StepRule | Any) -> Any:
    """Euler's method ``x -> x + step * v(x)``: continuous systems to discrete ones."""
    if hasattr(system, "map_open"):
        return system.map_open(lambda s: euler(s, step))
    if not isinstance(system, OpenContinuousSystem):
        raise CompositionError(
            f"euler takes an OpenContinuousSystem, got {type(system).__name__}"
        )
    rule = natural_rule(step)
    return map_leaves(system, DiscreteAlgebra(), lambda b: euler_leaf(b, rule),
                      lambda c: euler(c, rule))
