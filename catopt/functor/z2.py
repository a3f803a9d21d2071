"""Generalized gradient descent over Z2 (Boolean circuits), composed along UWDs.

A Z2 box in *error-vector form* has a model ``f(theta): Z2^n -> Z2^m`` and a target
``y in Z2^m``; its generalized gradient is ``R[f](theta, e)`` with the error
``e = f(theta) + y`` (Reverse Derivative Ascent, Wilson and Zanasi). The descent step is
``theta <- theta + R[f](theta, e)`` (XOR); it is zero exactly where the model is right.

(The *scalar-objective form* ``R[L](theta, 1)`` of a scalar ``L`` does not work here: over
Z2 the squared error ``(f + y)^2`` has formal derivative ``2 (f + y) f' = 0``, and as a
Boolean function it equals ``f + y``, whose gradient ``f'`` ignores whether the model is
right. Z2 is not an ordered ring, so "minimize" has no meaning; the error vector says what
to flip.)

Composition is the same gluing as over the reals with sums taken mod 2: a shared bit
receives the XOR of its boxes' flips.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from catopt.backends.z2 import Z2Poly, as_bits, evaluate, reverse_derivative
from catopt.errors import CatoptError
from catopt.problems.base import resolve_ports
from catopt.problems.blocks import ObjectiveBlock
from catopt.problems.open_problem import OpenProblem
from catopt.systems.blocks import UpdateBlock
from catopt.systems.open_system import OpenDiscreteSystem
from catopt.wiring.space import Space

__all__ = ["Z2Problem", "Z2System", "z2_box", "z2_descent", "solve_z2"]


class Z2Problem(OpenProblem):
    """An open problem over Z2: its objective counts wrong outputs, its gradient is the XOR
    of the boxes' ``R[f](theta, e)`` (the composite sums are reduced mod 2)."""

    _kind = "z2problem"

    def _value_and_grad(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = super()._value_and_grad(y)
        return v, np.mod(g, 2)


class Z2System(OpenDiscreteSystem):
    """An open discrete system over Z2: composite increments are summed mod 2."""

    _kind = "z2system"

    def _value_and_update(self, y: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        v, u = super()._value_and_update(y, t)
        return v, np.mod(u, 2)


def z2_box(model: Sequence[Z2Poly], target: Sequence[int], n: int,
           ports: Sequence[int] = (), *, name: str | None = None) -> Z2Problem:
    """A Z2 box in error-vector form on ``n`` bits: model ``f``, target ``y``; objective the
    number of wrong outputs, gradient ``R[f](theta, f(theta) + y)``."""
    model = list(model)
    y = as_bits(np.atleast_1d(target), f"target of Z2 box {name!r}" if name else "target")
    if len(y) != len(model):
        raise CatoptError(f"a Z2 box needs one target bit per model output: {len(model)} "
                          f"outputs, {len(y)} targets")
    used = max((max(p.variables, default=-1) for p in model), default=-1)
    if used >= n:
        raise CatoptError(f"the model uses x{used} but the box has only {n} bits")
    R = reverse_derivative(model, n)

    what = f"state of Z2 box {name!r}" if name else "state of Z2 box"

    def bits(x: np.ndarray) -> np.ndarray:
        return as_bits(x, what, n)

    def value(x: np.ndarray) -> float:
        return float(np.sum(evaluate(model, bits(x)) ^ y))

    def vg(x: np.ndarray) -> tuple[float, np.ndarray]:
        xb = bits(x)
        e = evaluate(model, xb) ^ y
        return float(e.sum()), R(xb, e).astype(float)

    space = Space.integer_space(n)
    p = Z2Problem._from_parts(space, resolve_ports(space, ports),
                              [ObjectiveBlock(n, value, vg, what=f"Z2 box {name or ''}",
                                              backend="z2")],
                              [name or "f"], None, name=name)
    return p  # type: ignore[return-value]


def _descent_block(block: ObjectiveBlock) -> UpdateBlock:
    def value_and_update(x: np.ndarray, t: int) -> tuple[float, np.ndarray]:
        v, g = block.value_and_grad(x)
        return v, np.mod(x + g, 2)

    return UpdateBlock(block.size, lambda x, t: value_and_update(x, t)[1], value_and_update,
                       what=block.what)


def z2_descent(problem: Z2Problem) -> Z2System:
    """The Z2 gradient-descent functor: ``theta <- theta + R[f](theta, e)`` (XOR), leaf by
    leaf; it preserves composition like its real counterpart."""
    if not isinstance(problem, Z2Problem):
        raise CatoptError(f"z2_descent takes a Z2Problem, got {type(problem).__name__}")
    return Z2System._from_parts(
        problem.space, problem.port_variables, [_descent_block(b) for b in problem.blocks],
        problem.block_names, problem._index, name=problem.name, gluing=problem.gluing,
        components=[z2_descent(c) for c in problem._components],  # type: ignore[arg-type]
    )


def solve_z2(problem: Z2Problem, x0: Any = None, steps: int = 100) -> dict[str, Any]:
    """Iterate the Z2 descent until a fixed point (no wrong outputs, or nothing to flip)."""
    system = z2_descent(problem)
    x = np.zeros(problem.n) if x0 is None else \
        as_bits(x0, "x0", problem.n).astype(float)
    history = []
    for t in range(steps):
        v, x_new = system._value_and_update(x, t)
        history.append(v)
        if np.array_equal(x_new, x):
            return {"x": x, "errors": v, "iterations": t, "history": history,
                    "converged": v == 0}
        x = x_new
    v = problem._value(x)
    history.append(v)
    return {"x": x, "errors": v, "iterations": steps, "history": history, "converged": v == 0}
