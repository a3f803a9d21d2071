"""Gradient ascent, the subgradient method and primal decomposition: naturality squares on
random composites (shaped variables, nesting) against dense recomputations, each with a
deliberately broken method that the same check catches."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import catopt as co
from catopt.functor.gradient import map_leaves
from catopt.functor.primal_decomposition import primal_decomposition, with_inner_argmin
from catopt.functor.saddle import ascent_flow, diminishing, gradient_ascent, subgradient_method
from catopt.systems.blocks import UpdateLeaf
from catopt.systems.open_system import DiscreteAlgebra
from tests.helpers.reference import reference_labels_and_pullbacks
from tests.strategies import composites, nested_composite, random_composite, seeds

TOL = 1e-9


def _grad_ref(d, problems, y):
    _, mats = reference_labels_and_pullbacks(d, problems)
    return sum((P.T @ p.gradient(P @ y) for P, p in zip(mats, problems, strict=True)),
               np.zeros_like(y))


def nonsmooth(p: co.OpenProblem, k: float) -> co.OpenProblem:
    """``p + k |x|_1`` with the subgradient selection ``grad p + k sign(x)`` (0 at a kink)."""
    sp = p.space
    if sp.integer:
        return co.OpenProblem(lambda x: p.objective(x) + k * np.sum(np.abs(x)), sp.n,
                              list(p.ports), grad=lambda x: p.gradient(x) + k * np.sign(x))
    return co.OpenProblem(
        lambda *a: p.objective(sp.pack(list(a))) + k * np.sum(np.abs(sp.pack(list(a)))), sp,
        list(p.ports),
        grad=lambda *a: sp.unpack(p.gradient(sp.pack(list(a))) + k * np.sign(sp.pack(list(a)))))


def _normalized(p, eta, sign):
    """Broken on purpose: each box takes a normalized step."""
    def leaf(b):
        def upd(x, t):
            g = b.value_and_grad(x)[1]
            return x + sign * eta * g / max(np.linalg.norm(g), 1e-300)
        return UpdateLeaf(b.size, upd)
    return map_leaves(p, DiscreteAlgebra(), leaf, lambda c: _normalized(c, eta, sign))


def _dev(d, problems, method, want_of) -> float:
    left = method(co.compose(d, problems))
    right = co.compose(d, [method(p) for p in problems])
    y = np.random.default_rng(11).standard_normal(left.n)
    want = want_of(y)
    return max(np.max(np.abs(left.update(y, 3) - want), initial=0.0),
               np.max(np.abs(right.update(y, 3) - want), initial=0.0))


def _shared(seed_from=0):
    for s in range(seed_from, seed_from + 500):
        inst = random_composite(np.random.default_rng(s))
        c = co.compose(inst.d, inst.problems)
        if np.any(np.bincount(c.gather_index, minlength=c.n) > 1):
            return inst
    raise AssertionError


# -- gradient ascent -----------------------------------------------------------------------------
@given(composites(), st.floats(1e-3, 1.0))
def test_gradient_ascent_square(inst, eta: float) -> None:
    c = co.compose(inst.d, inst.problems)
    y = np.random.default_rng(2).standard_normal(c.n)
    ref = _grad_ref(inst.d, inst.problems, y)
    np.testing.assert_allclose(ascent_flow(c).vector_field(y), ref, atol=TOL, rtol=TOL)
    right = co.compose(inst.d, [ascent_flow(p) for p in inst.problems])
    np.testing.assert_allclose(right.vector_field(y), ref, atol=TOL, rtol=TOL)
    assert _dev(inst.d, inst.problems, lambda p: gradient_ascent(p, eta),
                lambda y: y + eta * _grad_ref(inst.d, inst.problems, y)) <= TOL


@given(seeds)
@settings(max_examples=30)
def test_gradient_ascent_square_with_nesting(seed: int) -> None:
    d, b, e, outer, inner = nested_composite(seed)
    fillers = list(outer)
    fillers[b] = co.compose(e, inner)
    images = [gradient_ascent(p, 0.1) for p in outer]
    images[b] = co.compose(e, [gradient_ascent(p, 0.1) for p in inner])
    left = gradient_ascent(co.compose(d, fillers), 0.1)
    y = np.random.default_rng(seed % 89).standard_normal(left.n)
    want = y + 0.1 * co.compose(d, fillers).gradient(y)
    np.testing.assert_allclose(left.update(y), want, atol=TOL, rtol=TOL)
    np.testing.assert_allclose(co.compose(d, images).update(y), want, atol=TOL, rtol=TOL)


def test_gradient_ascent_square_catches_a_broken_method() -> None:
    inst = _shared()
    want = lambda y: y + 0.1 * _grad_ref(inst.d, inst.problems, y)  # noqa: E731
    assert _dev(inst.d, inst.problems, lambda p: gradient_ascent(p, 0.1), want) <= TOL
    assert _dev(inst.d, inst.problems, lambda p: _normalized(p, 0.1, 1.0), want) > 1e-3


def test_gradient_ascent_maximizes_a_concave_composite() -> None:
    d = co.relation("() :- f(x), g(x)")
    f = co.OpenProblem(lambda x: -((x[0] - 1.0) ** 2), 1, [0])
    g = co.OpenProblem(lambda x: -((x[0] - 3.0) ** 2), 1, [0])
    s = gradient_ascent(co.compose(d, [f, g]), 0.1)
    x = np.zeros(1)
    for t in range(200):
        x = s.update(x, t)
    assert x[0] == pytest.approx(2.0, abs=1e-10)


# -- subgradient method --------------------------------------------------------------------------
@given(seeds, st.integers(0, 100))
def test_subgradient_square(seed: int, t: int) -> None:
    inst = random_composite(np.random.default_rng(seed))
    probs = [nonsmooth(p, 0.5) for p in inst.problems]
    rule = diminishing(0.2)
    left = subgradient_method(co.compose(inst.d, probs), 0.2)
    right = co.compose(inst.d, [subgradient_method(p, 0.2) for p in probs])
    y = np.random.default_rng(seed % 83).standard_normal(left.n)
    y[::3] = 0.0  # at kinks: the selection sign(0) = 0 composes too
    want = y - rule(t) * _grad_ref(inst.d, probs, y)
    np.testing.assert_allclose(left.update(y, t), want, atol=TOL, rtol=TOL)
    np.testing.assert_allclose(right.update(y, t), want, atol=TOL, rtol=TOL)


def test_subgradient_square_catches_a_broken_method() -> None:
    inst = _shared()
    probs = [nonsmooth(p, 0.5) for p in inst.problems]
    rule = diminishing(0.2)
    want = lambda y: y - rule(3) * _grad_ref(inst.d, probs, y)  # noqa: E731
    assert _dev(inst.d, probs, lambda p: subgradient_method(p, 0.2), want) <= TOL
    assert _dev(inst.d, probs, lambda p: _normalized(p, rule(3), -1.0), want) > 1e-3


def test_subgradient_method_converges_on_a_nonsmooth_composite() -> None:
    """min |x - 1| + |x - 3| + |x - 4| over one shared x: the median, 3."""
    d = co.relation("() :- a(x), b(x), c(x)")
    boxes = [co.OpenProblem(lambda x, m=m: anp.abs(x[0] - m), 1, [0]) for m in (1.0, 3.0, 4.0)]
    s = subgradient_method(co.compose(d, boxes), 0.5)
    x = np.zeros(1)
    for t in range(4000):
        x = s.update(x, t)
    assert abs(x[0] - 3.0) < 0.02


# -- primal decomposition ------------------------------------------------------------------------
def _pd_boxes(inst):
    """Each box with its unexposed variables minimized in closed form (pure quadratics)."""
    out = []
    for p, q in zip(inst.problems, inst.quads, strict=True):
        sp = p.space
        priv = np.ones(sp.n, dtype=bool)
        for v in p.parts.ports:
            priv[sp.slice(int(v))] = False
        H = 0.5 * (q.A + q.A.T)
        Hpp = H[np.ix_(priv, priv)]

        def argmin(x, H=H, Hpp=Hpp, priv=priv, c=q.c):
            return -np.linalg.solve(Hpp, c[priv] + H[np.ix_(priv, ~priv)] @ x[~priv])

        out.append(with_inner_argmin(p, argmin if priv.any() else None))
    return out


def _pd_reference(d, problems, y, eta):
    """Composite: private coordinates set to the composite's exact minimizer given the shared
    ones (solved densely), then a gradient step on the shared ones."""
    labels, mats = reference_labels_and_pullbacks(d, problems)
    priv = np.zeros(len(labels), dtype=bool)
    for P, p in zip(mats, problems, strict=True):
        rows, cols = np.nonzero(P)
        priv[cols[p.leaves[0].private[rows]]] = True
    pi = np.flatnonzero(priv)
    g = lambda z: _grad_ref(d, problems, z)  # noqa: E731
    base = y.copy()
    base[pi] = 0.0
    r = g(base)[pi]
    H = np.column_stack([g(base + np.eye(len(y))[i])[pi] - r for i in pi]) if len(pi) else \
        np.zeros((0, 0))
    w = y.copy()
    if len(pi):
        w[pi] = np.linalg.solve(H, -r)
    gw = g(w)
    w[~priv] = y[~priv] - eta * gw[~priv]
    return w


@given(seeds, st.floats(1e-3, 0.5))
def test_primal_decomposition_square(seed: int, eta: float) -> None:
    inst = random_composite(np.random.default_rng(seed), quartic=False, pd=True)
    boxes = _pd_boxes(inst)
    left = primal_decomposition(co.compose(inst.d, boxes), eta)
    right = co.compose(inst.d, [primal_decomposition(p, eta) for p in boxes])
    y = np.random.default_rng(seed % 79).standard_normal(left.n)
    want = _pd_reference(inst.d, boxes, y, eta)
    np.testing.assert_allclose(left.update(y), want, atol=TOL, rtol=TOL)
    np.testing.assert_allclose(right.update(y), want, atol=TOL, rtol=TOL)


def test_primal_decomposition_scipy_inner_and_refusal() -> None:
    inst = random_composite(np.random.default_rng(5), quartic=False, pd=True)
    closed = _pd_boxes(inst)
    generic = [with_inner_argmin(p) for p in inst.problems]
    y = np.random.default_rng(0).standard_normal(co.compose(inst.d, closed).n)
    a = primal_decomposition(co.compose(inst.d, closed), 0.1).update(y)
    b = primal_decomposition(co.compose(inst.d, generic), 0.1).update(y)
    np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(co.CompositionError, match="with_inner_argmin"):
        primal_decomposition(co.compose(inst.d, inst.problems), 0.1)
