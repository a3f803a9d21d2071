"""Primal decomposition as an algebra morphism: exact minimization over each box's private
variables, and a gradient step on the shared ones.

A box ``f_b(s, p)`` with exposed (shareable) variables ``s`` and private variables ``p`` is
turned by :func:`with_inner_argmin` into an open problem whose leaf knows ``p*(s) =
argmin_p f_b(s, p)`` (a closed form given by the user, else ``scipy.optimize.minimize``).
:func:`primal_decomposition` sends it to the discrete system

    (s, p) -> (s - eta grad_s f_b(s, p*(s)), p*(s)),

and, being built by :func:`~catopt.functor.gradient.map_leaves`, composes: on a composite the
shared coordinates take ``s - eta sum_b phi_* grad_s f_b(s, p_b*(s))``, which is gradient
descent on the reduced master problem ``F(s) = sum_b min_p f_b(s, p)`` by Danskin's theorem
(``grad F_b(s) = grad_s f_b(s, p_b*(s))`` for a strictly convex ``f_b``), and the private
coordinates carry the boxes' minimizers. The private/shared split belongs to the leaf (fixed
by the leaf's own ports), so it is natural; private coordinates are never glued.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from catopt.errors import CompositionError, ObjectiveError
from catopt.functor.euler import euler_step
from catopt.functor.gradient import map_leaves, natural_rule
from catopt.functor.steps import StepRule
from catopt.problems.blocks import ObjectiveLeaf
from catopt.problems.open_problem import OpenProblem
from catopt.systems.blocks import UpdateLeaf
from catopt.systems.open_system import DiscreteAlgebra

__all__ = ["InnerMinLeaf", "with_inner_argmin", "primal_decomposition"]


class InnerMinLeaf(ObjectiveLeaf):
    """An objective leaf that knows which of its coordinates are private and how to minimize
    over them (``argmin(x) -> private block``, else scipy's L-BFGS)."""

    __slots__ = ("private", "_argmin")

    def __init__(self, leaf: ObjectiveLeaf, private: np.ndarray,
                 argmin: Callable[[np.ndarray], Any] | None) -> None:
        super().__init__(leaf.size, leaf.value, leaf.value_and_grad, what=leaf.what,
                         backend=leaf.backend)
        self.private = np.asarray(private, dtype=bool)
        self._argmin = argmin

    def inner_argmin(self, x: np.ndarray) -> np.ndarray:
        priv = self.private
        if self._argmin is not None:
            p = np.asarray(self._argmin(x), dtype=float)
            if p.shape != (int(priv.sum()),):
                raise ObjectiveError(f"argmin of {self.what} returned shape {p.shape}; "
                                     f"expected ({int(priv.sum())},)")
            return p
        if not priv.any():
            return np.zeros(0)
        from scipy.optimize import minimize

        w = x.copy()

        def fun(p: np.ndarray) -> tuple[float, np.ndarray]:
            w[priv] = p
            v, g = self.value_and_grad(w)
            return v, g[priv]

        res = minimize(fun, x[priv], jac=True, method="L-BFGS-B",
                       options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
        return np.asarray(res.x, dtype=float)


def with_inner_argmin(problem: OpenProblem,
                      argmin: Callable[[np.ndarray], Any] | None = None) -> OpenProblem:
    """A leaf problem whose unexposed variables are private to its inner minimization.

    ``argmin(x)`` returns the minimizing private block (in coordinate order) for the exposed
    values in ``x``; without it scipy minimizes."""
    if not isinstance(problem, OpenProblem) or problem.is_composite or len(problem.leaves) != 1:
        raise CompositionError("with_inner_argmin takes a leaf OpenProblem (one box)")
    sp = problem.space
    private = np.ones(sp.n, dtype=bool)
    for v in problem.parts.ports:
        private[sp.slice(int(v))] = False
    leaf = InnerMinLeaf(problem.leaves[0], private, argmin)
    return problem.with_parts(leaves=(leaf,))


def decomposition_leaf(leaf: InnerMinLeaf, rule: StepRule) -> UpdateLeaf:
    """``(s, p) -> (s - rule(t) grad_s f(s, p*), p*)`` with ``p* = argmin_p f(s, p)``."""
    priv = leaf.private
    shared = ~priv

    def value_and_update(x: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        w = x.copy()
        w[priv] = leaf.inner_argmin(x)
        v, g = leaf.value_and_grad(w)
        w[shared] = euler_step(x[shared], rule(t), -g[shared])
        return v, w

    return UpdateLeaf(leaf.size, lambda x, t: value_and_update(x, t)[1], value_and_update,
                      what=leaf.what)


def primal_decomposition(problem: OpenProblem, step: Any) -> Any:
    """The primal-decomposition system of an open problem whose leaves were made by
    :func:`with_inner_argmin` (see the module docstring)."""
    if not isinstance(problem, OpenProblem):
        raise CompositionError(
            f"primal_decomposition takes an OpenProblem, got {type(problem).__name__}")
    bad = [n for n, leaf in zip(problem.leaf_names, problem.leaves, strict=True)
           if not isinstance(leaf, InnerMinLeaf)]
    if bad:
        raise CompositionError(f"primal_decomposition needs boxes made by with_inner_argmin; "
                               f"box {bad[0]!r} is not")
    rule = natural_rule(step)
    return map_leaves(problem, DiscreteAlgebra(), lambda b: decomposition_leaf(b, rule),
                      lambda c: primal_decomposition(c, rule))
