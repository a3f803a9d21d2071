"""Momentum and Nesterov acceleration, with the velocity as shared state.

Heavy ball: ``v <- beta v - eta grad f(x);  x <- x + v``; Nesterov evaluates the gradient at
``x + beta v``. On a composite the velocity lives with the *composite* coordinates: one
velocity per junction, updated from the *summed* gradient of the boxes sharing it. That is
exactly distributable (each junction keeps its velocity; boxes still only compute local
gradients), and it is what :func:`momentum` builds.

It is not a per-box construction: giving every box its own (x, v) system and composing
with the discrete rule ``y + phi_*(increments)`` counts the decay ``(beta - 1) v`` of a
shared velocity once per box (:func:`per_box_momentum`, which the tests show fails the
naturality square).
"""

from __future__ import annotations

import numpy as np

from catopt.algebra.finset import Space
from catopt.algebra.protocol import OpenParts
from catopt.functor.steps import StepRule, as_step_rule
from catopt.problems.open_problem import OpenProblem
from catopt.systems.blocks import UpdateLeaf
from catopt.systems.open_system import DiscreteAlgebra, OpenDiscreteSystem
from catopt.validate import number

__all__ = ["momentum", "per_box_momentum", "velocity_space"]


def velocity_space(space: Space) -> Space:
    """The state space ``(x, v)``: each variable and its velocity ``v.name``."""
    return Space(list(zip(space.names, space.shapes, strict=True))
                 + [(f"v.{n}", s) for n, s in zip(space.names, space.shapes, strict=True)])


def _check(beta: float) -> float:
    return number(beta, "momentum beta", nonnegative=True, below=1.0, expected="in [0, 1)")


def momentum(problem: OpenProblem, step: float | StepRule, beta: float = 0.9, *,
             nesterov: bool = False) -> OpenDiscreteSystem:
    """The heavy-ball (or Nesterov) system of ``problem`` on the state ``(x, v)``; the
    gradient is the composite's, computed box by box, the velocity one per coordinate."""
    rule = as_step_rule(step)
    b = _check(beta)
    n = problem.n
    vg = problem.program.value_and_grad

    def value_and_update(z: np.ndarray, t: int) -> tuple[float, np.ndarray]:
        x, v = z[:n], z[n:]
        val, g = vg(x + b * v if nesterov else x)
        v_new = b * v - rule(t) * g
        return val, np.concatenate([x + v_new, v_new])

    leaf = UpdateLeaf(2 * n, lambda z, t: value_and_update(z, t)[1], value_and_update,
                      what="momentum")
    return DiscreteAlgebra().assemble(OpenParts(velocity_space(problem.space),
                                                problem.port_variables, (leaf,), ("momentum",),
                                                None, name=problem.name))


def per_box_momentum(problem: OpenProblem, step: float, beta: float = 0.9) -> OpenDiscreteSystem:
    """Momentum built box by box, exposing each port's variable and its velocity (ports
    ``x_1..x_k, v_1..v_k``). Composing these is *not* momentum on the composite."""
    system = momentum(problem, step, beta)
    ports = tuple(problem.port_variables) + tuple(len(problem.space) + v
                                                  for v in problem.port_variables)
    return system.with_parts(ports=ports)
