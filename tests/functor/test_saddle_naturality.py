"""Naturality squares of the saddle methods on random composites (shaped variables, primal and
dual gluing, nesting), each against a dense recomputation of the method on the composite, and
each with a deliberately broken method that the same check catches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import catopt as co
from catopt.functor.gradient import map_leaves
from catopt.functor.saddle import (
    dual_ascent,
    gradient_ascent_descent,
    primal_dual_subgradient,
    saddle_flow,
)
from catopt.problems.saddle import OpenSaddle
from catopt.systems.blocks import UpdateLeaf
from catopt.systems.open_system import DiscreteAlgebra
from tests.helpers.saddle import Reference, nested_saddles, random_saddle_composite
from tests.strategies import seeds

TOL = 1e-9


def _sides(d, boxes, method):
    left = method(co.compose(d, boxes))
    right = co.compose(d, [method(b) for b in boxes])
    return left, right


def _check_discrete(d, boxes, method, reference, t: int = 0) -> float:
    """The largest deviation of either side of the square from the reference update."""
    left, right = _sides(d, boxes, method)
    ref = Reference(d, boxes)
    assert left.labels == right.labels == tuple(ref.labels)
    z = np.random.default_rng(7).standard_normal(left.n)
    want = reference(ref, z, t)
    return max(np.max(np.abs(left.update(z, t) - want), initial=0.0),
               np.max(np.abs(right.update(z, t) - want), initial=0.0))


# -- gradient ascent-descent ---------------------------------------------------------------------
@given(seeds, st.floats(1e-3, 0.5))
def test_saddle_flow_and_gad_square(seed: int, eta: float) -> None:
    inst = random_saddle_composite(seed, quartic=True, bounds=True)
    left, right = _sides(inst.d, inst.boxes, saddle_flow)
    ref = Reference(inst.d, inst.boxes)
    z = np.random.default_rng(seed % 91).standard_normal(left.n)
    np.testing.assert_allclose(left.vector_field(z), ref.field(z), atol=TOL, rtol=TOL)
    np.testing.assert_allclose(right.vector_field(z), ref.field(z), atol=TOL, rtol=TOL)
    dev = _check_discrete(inst.d, inst.boxes, lambda L: gradient_ascent_descent(L, eta),
                          lambda r, z, t: r.gad(z, eta))
    assert dev <= TOL


@given(seeds)
@settings(max_examples=40)
def test_gad_square_with_nesting(seed: int) -> None:
    d, b, e, outer, inner = nested_saddles(seed, quartic=True, bounds=True)
    nested = list(outer)
    nested[b] = co.compose(e, inner)
    rule = lambda t: 0.1 / (1 + t)  # noqa: E731
    left = gradient_ascent_descent(co.compose(d, nested), rule)
    images = [gradient_ascent_descent(p, rule) for p in outer]
    images[b] = co.compose(e, [gradient_ascent_descent(p, rule) for p in inner])
    right = co.compose(d, images)
    ref = Reference(d.substitute({b: e}), outer[:b] + inner + outer[b + 1:])
    perm = ref.reorder(left.labels)
    z = np.random.default_rng(seed % 97).standard_normal(left.n)
    for t in (0, 4):
        want = ref.gad(z[perm], rule(t))
        np.testing.assert_allclose(left.update(z, t)[perm], want, atol=TOL, rtol=TOL)
        np.testing.assert_allclose(right.update(z, t)[perm], want, atol=TOL, rtol=TOL)


def _normalized_gad(L, eta):
    """Broken on purpose: each box normalizes its own step (not linear in its gradient)."""
    from catopt.functor.saddle import saddle_leaf

    def leaf(b):
        f = saddle_leaf(b)
        return UpdateLeaf(b.size, lambda z, t: z + eta * f.field(z) /
                          max(np.linalg.norm(f.field(z)), 1e-300))

    return map_leaves(L, DiscreteAlgebra(), leaf, lambda c: _normalized_gad(c, eta))


def _shared_instance(pred, **kw):
    for s in range(500):
        inst = random_saddle_composite(s, **kw)
        c = co.compose(inst.d, inst.boxes)
        if pred(c):
            return inst
    raise AssertionError("no instance")


def _has_shared(c, dual: bool) -> bool:
    reads = np.bincount(c.gather_index, minlength=c.n)
    return bool(np.any((reads > 1) & (c.dual_mask if dual else c.primal_mask)))


def test_gad_square_catches_a_broken_method() -> None:
    inst = _shared_instance(lambda c: _has_shared(c, True))
    ref_step = lambda r, z, t: r.gad(z, 0.1)  # noqa: E731
    assert _check_discrete(inst.d, inst.boxes, lambda L: gradient_ascent_descent(L, 0.1),
                           ref_step) <= TOL
    assert _check_discrete(inst.d, inst.boxes, lambda L: _normalized_gad(L, 0.1),
                           ref_step) > 1e-3


# -- primal-dual subgradient ---------------------------------------------------------------------
@given(seeds, st.integers(0, 50))
def test_primal_dual_subgradient_square(seed: int, t: int) -> None:
    inst = random_saddle_composite(seed, smooth=False, bounds=True)
    rule = co.functor.saddle.diminishing(0.3)
    dev = _check_discrete(inst.d, inst.boxes, lambda L: primal_dual_subgradient(L, 0.3),
                          lambda r, z, t: r.gad(z, rule(t)), t=t)
    assert dev <= TOL
    assert rule(t) == pytest.approx(0.3 / np.sqrt(1 + t))


def test_primal_dual_subgradient_square_catches_a_broken_method() -> None:
    inst = _shared_instance(lambda c: _has_shared(c, False), smooth=False)
    rule = co.functor.saddle.diminishing(0.3)
    ref_step = lambda r, z, t: r.gad(z, rule(t))  # noqa: E731
    broken = lambda L: _normalized_gad(L, 0.3)  # noqa: E731
    assert _check_discrete(inst.d, inst.boxes, lambda L: primal_dual_subgradient(L, 0.3),
                           ref_step) <= TOL
    assert _check_discrete(inst.d, inst.boxes, broken, ref_step) > 1e-3


# -- dual ascent -----------------------------------------------------------------------------------
@given(seeds, st.floats(1e-3, 0.5))
@settings(max_examples=60)
def test_dual_ascent_square(seed: int, eta: float) -> None:
    inst = random_saddle_composite(seed, dual_only=True)
    dev = _check_discrete(inst.d, inst.boxes, lambda L: dual_ascent(L, eta),
                          lambda r, z, t: r.dual_ascent(z, eta))
    assert dev <= TOL


@given(seeds)
@settings(max_examples=30)
def test_dual_ascent_square_with_nesting(seed: int) -> None:
    d, b, e, outer, inner = nested_saddles(seed, dual_only=True)
    nested = list(outer)
    nested[b] = co.compose(e, inner)
    left = dual_ascent(co.compose(d, nested), 0.2)
    images = [dual_ascent(p, 0.2) for p in outer]
    images[b] = co.compose(e, [dual_ascent(p, 0.2) for p in inner])
    right = co.compose(d, images)
    ref = Reference(d.substitute({b: e}), outer[:b] + inner + outer[b + 1:])
    perm = ref.reorder(left.labels)
    z = np.random.default_rng(seed % 97).standard_normal(left.n)
    want = ref.dual_ascent(z[perm], 0.2)
    np.testing.assert_allclose(left.update(z)[perm], want, atol=TOL, rtol=TOL)
    np.testing.assert_allclose(right.update(z)[perm], want, atol=TOL, rtol=TOL)


def _stale_dual_ascent(L, eta):
    """Broken on purpose: the multiplier step uses the gradient at the *old* primal state
    (one Uzawa half-step, not the exact inner argmin)."""
    def leaf(b):
        def upd(z, t):
            w = z.copy()
            g = b.value_and_grad(z)[1]
            w[~b.dual] = b.inner_argmin(z)
            w[b.dual] = z[b.dual] + eta * g[b.dual]
            return w
        return UpdateLeaf(b.size, upd)

    return map_leaves(L, DiscreteAlgebra(), leaf, lambda c: _stale_dual_ascent(c, eta))


def test_dual_ascent_square_catches_a_broken_method() -> None:
    inst = random_saddle_composite(3, dual_only=True)
    ref_step = lambda r, z, t: r.dual_ascent(z, 0.2)  # noqa: E731
    assert _check_discrete(inst.d, inst.boxes, lambda L: dual_ascent(L, 0.2), ref_step) <= TOL
    assert _check_discrete(inst.d, inst.boxes, lambda L: _stale_dual_ascent(L, 0.2),
                           ref_step) > 1e-3


def test_dual_ascent_refuses_shared_primal_variables() -> None:
    inst = _shared_instance(lambda c: _has_shared(c, False))
    with pytest.raises(co.CompositionError, match="private to one box"):
        dual_ascent(co.compose(inst.d, inst.boxes), 0.1)


def test_scipy_inner_argmin_matches_closed_form() -> None:
    """Without a closed form, the inner argmin is scipy's L-BFGS-B: it agrees with the closed
    form on a strictly convex quadratic."""
    rng = np.random.default_rng(0)
    M = rng.standard_normal((3, 3))
    Q = M @ M.T + np.eye(3)
    c, A, b = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(2)
    closed = OpenSaddle.quadratic(Q, c, A, b, primal=3, dual=2)
    import autograd.numpy as anp

    generic = OpenSaddle.equality(lambda x: 0.5 * anp.dot(x, anp.dot(Q, x)) + anp.dot(c, x),
                                  3, A, b, dual=2)
    z = rng.standard_normal(5)
    a = dual_ascent(closed, 0.1).update(z)
    g = dual_ascent(generic, 0.1).update(z)
    np.testing.assert_allclose(a, g, atol=1e-6)


@given(seeds, st.floats(1e-3, 0.5))
@settings(max_examples=40)
def test_dual_ascent_on_the_multipliers_alone_square(seed: int, eta: float) -> None:
    """carry_primal=False drops the (private, unexposed) primal variables from the space:
    the square still holds, against the reference restricted to the dual coordinates, and
    recover_primal gives back the primal block of the full-state method."""
    from catopt.functor.saddle import recover_primal

    inst = random_saddle_composite(seed, dual_only=True)
    boxes = [b.with_parts(ports=tuple(v for v in b.parts.ports
                                      if b.dual_mask[b.space.slice(int(v))].all()))
             for b in inst.boxes]
    if any(len(b.ports) != len(p.ports) for b, p in zip(boxes, inst.boxes, strict=True)):
        return  # a primal variable is exposed (to an outer junction): not a dual-only case
    c = co.compose(inst.d, boxes)
    left = dual_ascent(c, eta, carry_primal=False)
    right = co.compose(inst.d, [dual_ascent(b, eta, carry_primal=False) for b in boxes])
    ref = Reference(inst.d, boxes)
    z = np.random.default_rng(seed % 61).standard_normal(c.n)
    want = ref.dual_ascent(z, eta)
    dual = c.dual_mask
    read = np.bincount(c.gather_index, minlength=c.n) > 0
    keep = [i for i in range(c.n) if dual[i] or not read[i]]
    assert left.labels == right.labels == tuple(c.labels[i] for i in keep)
    lam = z[keep]
    np.testing.assert_allclose(left.update(lam), want[keep], atol=TOL, rtol=TOL)
    np.testing.assert_allclose(right.update(lam), want[keep], atol=TOL, rtol=TOL)
    full = recover_primal(c, lam)
    np.testing.assert_allclose(full[~dual & read], ref.inner_argmin(z)[~dual & read], atol=TOL,
                               rtol=TOL)
