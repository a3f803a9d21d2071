"""First-order methods for concave, non-smooth and saddle problems, as algebra morphisms.

Each is built like :func:`~catopt.functor.gradient.gradient_flow`: a leaf construction applied
by :func:`~catopt.functor.gradient.map_leaves`, landing in the continuous or discrete algebra
with the same space, ports and gather index, so the image of a composite *is* the composite of
the images. Each is natural because its per-leaf increment is linear in the leaf's
(sub)gradient, which the gluing pushes forward (``grad (L o phi^*) = phi_* grad L o phi^*``):

- :func:`ascent_flow` / :func:`gradient_ascent`: ``x -> x + eta grad f`` on a concave problem;
- :func:`subgradient_method`: ``x -> x - eta_t g``, ``g`` the objective's subgradient selection
  (its ``grad=``, or the backend's choice at kinks: autograd takes ``d|x|/dx = 0`` at 0 and
  splits a tie of ``np.maximum(a, b)`` evenly, ``1/2`` each; both are subgradients) with
  diminishing steps;
- :func:`saddle_flow` / :func:`gradient_ascent_descent` (Uzawa / Arrow-Hurwicz):
  ``(x, lam) -> (P(x - eta grad_x L), lam + eta grad_lam L)`` with ``P`` the projection onto
  the primal bounds (natural because bounded primal variables are never shared);
- :func:`primal_dual_subgradient`: the same with subgradient selections and diminishing steps;
- :func:`dual_ascent`: ``x -> argmin_x L_b(x, lam)`` per box (closed form or scipy), then
  ``lam -> lam + eta grad_lam L_b(x*, lam)``; natural when every primal variable is private to
  one box, which it checks. The primal coordinates of the state carry ``x*(lam)``, so the
  primal solution is recovered in the state itself, and the leaves' values are the dual
  function's terms ``g_b(lam) = min_x L_b(x, lam)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.errors import CompositionError
from catopt.functor.euler import euler_step
from catopt.functor.gradient import euler, gradient_flow, map_leaves, natural_rule
from catopt.functor.steps import InverseSqrt, StepRule
from catopt.problems.blocks import ObjectiveLeaf
from catopt.problems.open_problem import OpenProblem
from catopt.problems.saddle import OpenSaddle, SaddleLeaf
from catopt.systems.blocks import FieldLeaf, UpdateLeaf
from catopt.systems.open_system import ContinuousAlgebra, DiscreteAlgebra

__all__ = ["ascent_flow", "gradient_ascent", "subgradient_method", "saddle_flow",
           "gradient_ascent_descent", "primal_dual_subgradient", "dual_ascent", "diminishing",
           "recover_primal"]


def diminishing(step: Any) -> StepRule:
    """A natural step rule; a plain number ``eta`` becomes ``eta / sqrt(1 + t)``
    (:class:`~catopt.functor.steps.InverseSqrt`), the classical diminishing step of the
    subgradient method (``sum eta_t = inf``, ``eta_t -> 0``)."""
    if isinstance(step, (int, float, np.floating, np.integer)) and not isinstance(step, bool):
        return natural_rule(InverseSqrt(float(step)))
    return natural_rule(step)


# -- concave problems -------------------------------------------------------------------------
def ascent_leaf(leaf: ObjectiveLeaf) -> FieldLeaf:
    """The leaf ``+grad f`` of a leaf objective."""

    def value_and_field(x: np.ndarray) -> tuple[float, np.ndarray]:
        return leaf.value_and_grad(x)

    return FieldLeaf(leaf.size, lambda x: leaf.value_and_grad(x)[1], value_and_field,
                     what=leaf.what)


def _problem(p: Any, what: str) -> OpenProblem:
    if not isinstance(p, OpenProblem):
        raise CompositionError(f"{what} takes an OpenProblem, got {type(p).__name__}")
    return p


def ascent_flow(problem: OpenProblem) -> Any:
    """The open continuous system ``(S, +grad f, m)`` of a concave problem (maximized)."""
    return map_leaves(_problem(problem, "ascent_flow"), ContinuousAlgebra(), ascent_leaf,
                      ascent_flow)


def gradient_ascent(problem: OpenProblem, step: Any) -> Any:
    """``x -> x + step grad f(x)``: ``euler(ascent_flow(problem), step)``."""
    return euler(ascent_flow(problem), step)


def subgradient_method(problem: OpenProblem, step: Any) -> Any:
    """``x -> x - eta_t g(x)``, ``g`` the objective's subgradient selection, with a
    diminishing step (a number ``eta`` means ``eta / sqrt(1 + t)``): ``euler`` of the
    (sub)gradient flow. Natural by the affine chain rule ``d(f o phi^*) = phi_* df o phi^*``
    and Moreau-Rockafellar (the selection of a sum is the sum of the selections)."""
    return euler(gradient_flow(_problem(problem, "subgradient_method")), diminishing(step))


# -- saddle problems --------------------------------------------------------------------------
def _saddle(L: Any, what: str) -> OpenSaddle:
    if not isinstance(L, OpenSaddle):
        raise CompositionError(f"{what} takes an OpenSaddle, got {type(L).__name__}")
    return L


def saddle_leaf(leaf: SaddleLeaf) -> FieldLeaf:
    """The leaf ``(-grad_x L, +grad_lam L)`` of a leaf Lagrangian."""
    sign = np.where(leaf.dual, 1.0, -1.0)

    def value_and_field(z: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = leaf.value_and_grad(z)
        return v, sign * g

    return FieldLeaf(leaf.size, lambda z: value_and_field(z)[1], value_and_field,
                     what=leaf.what)


def saddle_flow(L: OpenSaddle) -> Any:
    """The saddle-point flow ``dx/dt = -grad_x L``, ``dlam/dt = +grad_lam L`` (continuous)."""
    return map_leaves(_saddle(L, "saddle_flow"), ContinuousAlgebra(), saddle_leaf, saddle_flow)


def projected_leaf(leaf: SaddleLeaf, rule: StepRule) -> UpdateLeaf:
    """``z -> P(z + rule(t) v(z))``, ``v`` the saddle field and ``P`` the clip to the primal
    bounds (the identity on unbounded coordinates)."""
    field = saddle_leaf(leaf)
    bounded = bool(leaf.bounded.any())

    def value_and_update(z: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        v, f = field.value_and_field(z)
        new = euler_step(z, rule(t), f)
        return v, leaf.project(new) if bounded else new

    return UpdateLeaf(leaf.size, lambda z, t: value_and_update(z, t)[1], value_and_update,
                      what=leaf.what)


def gradient_ascent_descent(L: OpenSaddle, step: Any) -> Any:
    """Uzawa / Arrow-Hurwicz: ``x -> P(x - eta grad_x L)``, ``lam -> lam + eta grad_lam L``.

    Natural for dual and for primal gluing (the field is a signed gradient); the projection
    ``P`` acts on bounded primal variables, which the saddle algebra never shares."""
    rule = natural_rule(step)
    return map_leaves(_saddle(L, "gradient_ascent_descent"), DiscreteAlgebra(),
                      lambda b: projected_leaf(b, rule),
                      lambda c: gradient_ascent_descent(c, rule))


def primal_dual_subgradient(L: OpenSaddle, step: Any) -> Any:
    """The primal-dual subgradient method: gradient ascent-descent with the Lagrangian's
    subgradient selections and a diminishing step (a number ``eta`` is
    ``eta / sqrt(1 + t)``)."""
    return gradient_ascent_descent(_saddle(L, "primal_dual_subgradient"), diminishing(step))


def dual_leaf(leaf: SaddleLeaf, rule: StepRule) -> UpdateLeaf:
    """``(x, lam) -> (x*, lam + rule(t) grad_lam L(x*, lam))``, ``x* = argmin_x L(x, lam)``."""
    dsel, psel = leaf.dual_sel, leaf.primal_sel

    def value_and_update(z: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        x = leaf.inner_argmin(z)
        v, g = leaf.value_and_dual_grad(z, x)
        w = np.empty_like(z)
        w[psel] = x
        w[dsel] = euler_step(z[dsel], rule(t), g)
        return v, w

    return UpdateLeaf(leaf.size, lambda z, t: value_and_update(z, t)[1], value_and_update,
                      what=leaf.what)


def dual_only_leaf(leaf: SaddleLeaf, rule: StepRule) -> UpdateLeaf:
    """``lam -> lam + rule(t) grad_lam L(x*(lam), lam)`` on the leaf's dual block alone."""
    nd = int(leaf.size - leaf.n_primal)

    def value_and_update(lam: np.ndarray, t: int) -> tuple[float | None, np.ndarray]:
        x = leaf.argmin_dual(lam)
        v, g = leaf.value_and_dual_grad_at(lam, x)
        return v, euler_step(lam, rule(t), g)

    return UpdateLeaf(nd, lambda z, t: value_and_update(z, t)[1], value_and_update,
                      what=leaf.what)


def _dual_only(L: OpenSaddle, rule: StepRule) -> Any:
    space, ports, index = L.dual_part()
    parts = L.parts
    return DiscreteAlgebra().assemble(parts.replace(
        space=space, ports=ports, index=index,
        leaves=tuple(dual_only_leaf(b, rule) for b in parts.leaves),
        components=tuple(_dual_only(c, rule) for c in parts.components)))


def recover_primal(L: OpenSaddle, lam: Any) -> np.ndarray:
    """The full state ``(x*(lam), lam)`` of ``L`` from the state of
    ``dual_ascent(L, step, carry_primal=False)`` (the dual variables only): every leaf's
    inner argmin at its multipliers, in one pass."""
    L = _saddle(L, "recover_primal")
    space, _, index = L.dual_part()
    lam = np.asarray(lam, dtype=float)
    if lam.shape != (space.n,):
        raise CompositionError(f"expected the {space.n} dual coordinates, got shape "
                               f"{lam.shape}")
    z = np.zeros(L.n)
    kept = np.ones(L.n, dtype=bool)  # the coordinates of the dual-only space
    if L.leaves:
        kept[L.parts.gather_index[~np.concatenate([b.dual for b in L.leaves])]] = False
    z[kept] = lam
    full_idx = L.parts.gather_index
    leaf_lam = lam[index]
    offs = L.program.offsets
    pos = 0
    for k, leaf in enumerate(L.leaves):
        nd = int(leaf.size - leaf.n_primal)
        x = leaf.argmin_dual(leaf_lam[pos:pos + nd])
        pos += nd
        block = full_idx[offs[k]:offs[k + 1]]
        z[block[~leaf.dual]] = x
    return z


def dual_ascent(L: OpenSaddle, step: Any, *, carry_primal: bool = True) -> Any:
    """Dual ascent with exact inner minimization (dual decomposition), see the module doc.

    With ``carry_primal=False`` the system lives on the dual variables alone (the primal
    variables, private and unexposed, are dropped from the space, which commutes with
    composition); :func:`recover_primal` gives the primal block from its state. Raises
    :class:`~catopt.errors.CompositionError` when a primal variable is shared between boxes:
    the inner argmin then does not split per box."""
    L = _saddle(L, "dual_ascent")
    shared = L.primal_shared()
    if shared.size:
        raise CompositionError(
            f"dual ascent needs every primal variable private to one box, but "
            f"{L.labels[int(shared[0])]!r} is shared; use gradient_ascent_descent, or glue "
            "these boxes along dual variables only")
    rule = natural_rule(step)
    if not carry_primal:
        return _dual_only(L, rule)
    return map_leaves(L, DiscreteAlgebra(), lambda b: dual_leaf(b, rule),
                      lambda c: dual_ascent(c, rule))
