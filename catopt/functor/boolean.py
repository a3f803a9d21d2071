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

from catopt.algebra.finset import Space, resolve_ports
from catopt.algebra.protocol import OpenParts
from catopt.algebra.ring import Z2
from catopt.backends.z2 import Z2Poly, as_bits, evaluate, reverse_derivative
from catopt.errors import CatoptError
from catopt.functor.gradient import euler, gradient_flow
from catopt.problems.blocks import ObjectiveLeaf
from catopt.problems.open_problem import OpenProblem, ProblemAlgebra
from catopt.validate import integer, sequence

__all__ = ["z2_box", "z2_descent", "Z2_PROBLEMS"]

#: the algebra of open problems over Z2
Z2_PROBLEMS = ProblemAlgebra(Z2)


def z2_box(model: Sequence[Z2Poly], target: Sequence[int], n: int,
           ports: Sequence[int] = (), *, name: str | None = None) -> OpenProblem:
    """A Z2 box in error-vector form on ``n`` bits: model ``f``, target ``y``; objective the
    number of wrong outputs, gradient ``R[f](theta, f(theta) + y)``. It is an open problem of
    the algebra of problems over Z2 (:data:`Z2_PROBLEMS`): composites sum its gradients mod 2."""
    n = integer(n, "n (the box's bits)", minimum=0)
    model = sequence(model, "model", expected="a sequence of Z2 polynomials")
    for k, poly in enumerate(model):
        if not isinstance(poly, Z2Poly):
            raise CatoptError(f"output {k} of the model must be a Z2 polynomial (made from "
                              f"var and const), got {type(poly).__name__}")
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
    leaf = ObjectiveLeaf(n, value, vg, what=f"Z2 box {name or ''}", backend="z2")
    return Z2_PROBLEMS.assemble(OpenParts(space, resolve_ports(space, ports), (leaf,),
                                          (name or "f",), None, name=name))


def z2_descent(problem: OpenProblem) -> Any:
    """The Z2 gradient-descent functor ``theta <- theta + R[f](theta, e)`` (XOR): Euler's
    method with step 1 on the gradient flow over Z2, where ``-1 = 1``. It is the real
    functor over another ring, so it preserves composition like its real counterpart, and
    acts on morphisms of the hypergraph category too."""
    if hasattr(problem, "map_open"):
        return problem.map_open(z2_descent)
    if getattr(problem, "algebra", None) != Z2_PROBLEMS:
        raise CatoptError(f"z2_descent takes a Z2Problem (an open problem over Z2, e.g. from "
                          f"z2_box), got {type(problem).__name__}"
                          + (f" over {problem.algebra.ring.name}"
                             if hasattr(problem, "algebra") else ""))
    return euler(gradient_flow(problem), 1.0)
