"""Composition by variable sharing: coordinates and labels, independent recomputation,
the operad substitution law, nesting, closed-form minimizers and error paths."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given

import catopt as co
from tests.helpers.reference import reference_labels_and_pullbacks, reference_value_and_grad
from tests.strategies import (
    composites,
    nested_composite,
    random_diagram,
    random_problem,
    seeds,
)


def test_design_coordinates_and_labels() -> None:
    f = co.OpenProblem(lambda x: anp.sum(x**2), 5, ports=[1, 3])
    g = co.OpenProblem(lambda x: anp.sum(x**2), 3, ports=[0, 1, 2])
    h = co.OpenProblem(lambda W, b: anp.sum(W**2) + b**2, {"W": (2,), "b": ()}, ports=["b"])
    h3 = co.relation("(x, y, z) :- f(w, x), g(u, w, y), h(z)")
    c = co.compose(h3, {"f": f, "g": g, "h": h})
    assert c.labels == ("x", "y", "z", "w", "u", "f.0", "f.2", "f.4", "h.W[0]", "h.W[1]")
    assert c.ports == ("x", "y", "z")
    assert c.n == 10 and c.diagram == h3
    assert set(c.components) == {"f", "g", "h"}
    # sequence in box order gives the same problem
    c2 = co.compose(h3, [f, g, h])
    y = np.random.default_rng(1).standard_normal(10)
    assert c2.objective(y) == c.objective(y)


def test_shaped_junction_labels() -> None:
    d = co.relation("(W0,) :- t1(W0), t2(W0)", shapes={"W0": (2, 2)})
    t = co.OpenProblem(lambda W0, w: anp.sum(W0) * w, {"W0": (2, 2), "w": ()}, ports=["W0"])
    c = co.compose(d, {"t1": t, "t2": t})
    assert c.labels == ("W0[0]", "W0[1]", "W0[2]", "W0[3]", "t1.w", "t2.w")
    assert c.port_shapes == ((2, 2),)


@given(composites())
def test_composite_equals_independent_recomputation(inst) -> None:
    c = co.compose(inst.d, inst.problems)
    labels, _ = reference_labels_and_pullbacks(inst.d, inst.problems)
    assert list(c.labels) == labels
    y = np.random.default_rng(len(labels)).standard_normal(c.n)
    v, g = c.value_and_grad(y)
    rv, rg = reference_value_and_grad(inst.d, inst.problems, y)
    assert v == pytest.approx(rv, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(g, rg, rtol=1e-12, atol=1e-12)
    assert c.objective(y) == pytest.approx(rv, rel=1e-12, abs=1e-12)


@given(composites(quartic=False))
def test_gradient_matches_finite_differences(inst) -> None:
    c = co.compose(inst.d, inst.problems)
    y = np.random.default_rng(7).standard_normal(c.n)
    g = c.gradient(y)
    h = 1e-5
    for i in range(c.n):
        e = np.zeros(c.n)
        e[i] = h
        fd = (c.objective(y + e) - c.objective(y - e)) / (2 * h)
        assert fd == pytest.approx(g[i], rel=1e-6, abs=1e-6)



def _by_label(p: co.OpenProblem, q: co.OpenProblem) -> np.ndarray:
    """The permutation taking q's coordinates to p's, matching labels."""
    assert sorted(p.labels) == sorted(q.labels)
    where = {lab: i for i, lab in enumerate(q.labels)}
    return np.array([where[lab] for lab in p.labels])


@given(seeds)
def test_operad_substitution_law(seed: int) -> None:
    """compose(d.substitute({b: e}), ...) == compose(d, {b: compose(e, ...)})."""
    d, b, e, outer, inner = nested_composite(seed)
    qual = d.qualified_boxes()[b]
    nested = list(outer)
    nested[b] = co.compose(e, inner)
    twice = co.compose(d, nested)
    flat_fillers = outer[:b] + inner + outer[b + 1 :]
    once = co.compose(d.substitute({b: e}), flat_fillers)
    perm = _by_label(twice, once)
    y = np.random.default_rng(seed % 1000).standard_normal(twice.n)
    z = np.empty_like(y)
    z[perm] = y
    assert once.objective(z) == pytest.approx(twice.objective(y), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(once.gradient(z)[perm], twice.gradient(y), rtol=1e-12, atol=1e-12)
    assert once.ports == twice.ports
    # the inner diagram's private variables live under the substituted box's name
    others = [q for q in d.qualified_boxes() if q != qual]
    inner_labels = [lab for lab in twice.labels if lab.split("[")[0] not in d.junctions
                    and not any(lab.startswith(f"{q}.") for q in others)]
    assert all(lab.startswith(f"{qual}.") for lab in inner_labels)


def test_nesting_composes_further_and_flattens() -> None:
    inner_d = co.relation("(a,) :- p(a, k), q(k)")
    sq = co.OpenProblem(lambda x: anp.sum((x - 1.0) ** 2), 2, ports=[0, 1])
    one = co.OpenProblem(lambda x: (x[0] - 3.0) ** 2, 1, ports=[0])
    inner = co.compose(inner_d, {"p": sq, "q": one})
    outer_d = co.relation("() :- A(s), B(s)")
    c = co.compose(outer_d, {"A": inner, "B": inner})
    assert c.labels == ("s", "A.k", "B.k")
    assert c.block_names == ("A.p", "A.q", "B.p", "B.q")
    # f(s, k1, k2) = 2 (s-1)^2 + (k1-1)^2 + (k1-3)^2 + (k2-1)^2 + (k2-3)^2: minimum at 1, 2, 2
    r = co.solve(c, step=0.1, steps=2000, tol=1e-10)
    np.testing.assert_allclose(r.x, [1.0, 2.0, 2.0], atol=1e-8)


@given(seeds)
def test_closed_form_minimizer_of_composite_quadratic(seed: int) -> None:
    """Gradient descent on a random convex composite reaches ``-H^{-1} r``, with ``H`` and
    ``r`` assembled independently from dense pullback matrices."""
    rng = np.random.default_rng(seed)
    d = random_diagram(rng)
    problems, quads = [], []
    for b in range(d.n_boxes):
        p, q = random_problem(rng, list(d.port_shapes(b)), quartic=False, pd=True)
        problems.append(p)
        quads.append(q)
    c = co.compose(d, problems)
    _, mats = reference_labels_and_pullbacks(d, problems)
    H = sum(P.T @ (0.5 * (q.A + q.A.T)) @ P for P, q in zip(mats, quads, strict=True))
    r = sum(P.T @ q.c for P, q in zip(mats, quads, strict=True))
    # a junction no box touches has no curvature: its gradient is 0, so it stays at x0 = 0,
    # which is what the minimum-norm minimizer says too
    free = np.diag(H) == 0
    exact = np.linalg.solve(H + np.diag(free.astype(float)), -r)
    L = np.linalg.eigvalsh(H).max() if c.n else 0.0
    res = co.solve(c, step=1.0 / L if L > 0 else 1.0, steps=200000, tol=1e-9)
    assert res.converged
    np.testing.assert_allclose(res.x, exact, atol=1e-6 * max(1.0, np.abs(exact).max()))


# -- errors ------------------------------------------------------------------------------

@pytest.fixture
def parts():
    d = co.relation("(x,) :- f(x, w), g(w)")
    f = co.OpenProblem(lambda x: anp.sum(x**2), 2, ports=[0, 1], name="f")
    g = co.OpenProblem(lambda x: anp.sum(x**2), 1, ports=[0], name="g")
    return d, f, g


def test_missing_and_unknown_boxes(parts) -> None:
    d, f, g = parts
    with pytest.raises(co.CompositionError, match=r"no filler given for boxes \['g'\]"):
        co.compose(d, {"f": f})
    with pytest.raises(co.CompositionError, match=r"unknown boxes \['k'\]"):
        co.compose(d, {"f": f, "g": g, "k": g})
    with pytest.raises(co.CompositionError, match="2 boxes .* but 1 fillers"):
        co.compose(d, [f])
    with pytest.raises(co.CompositionError, match="mapping from box names or a sequence"):
        co.compose(d, f)  # type: ignore[arg-type]
    with pytest.raises(co.CompositionError, match="needs a UWD"):
        co.compose("(x) :- f(x)", [f])  # type: ignore[arg-type]


def test_port_count_mismatch_names_the_box(parts) -> None:
    d, f, g = parts
    with pytest.raises(co.CompositionError, match="box 'g' has 1 ports .*exposes 2"):
        co.compose(d, {"f": f, "g": f})


def test_shape_mismatch_names_box_port_and_junction() -> None:
    d = co.relation("(x,) :- f(x), g(x)", shapes={"x": (3,)})
    f = co.OpenProblem(lambda a: anp.sum(a**2), {"a": (3,)}, ports=["a"])
    g = co.OpenProblem(lambda b: anp.sum(b**2), {"b": (2,)}, ports=["b"])
    with pytest.raises(co.ShapeError, match="port 0 of box 'g' \\('b'\\) has shape \\(2,\\).*"
                                            "junction 'x' of shape \\(3,\\)"):
        co.compose(d, {"f": f, "g": g})


def test_mixed_kinds_and_non_problems(parts) -> None:
    d, f, g = parts
    with pytest.raises(co.CompositionError, match="different kinds"):
        co.compose(d, {"f": f, "g": co.gradient_flow(g)})
    with pytest.raises(co.CompositionError, match="filler of box 'g' must be"):
        co.compose(d, {"f": f, "g": 3})


def test_error_inside_a_box_names_the_box() -> None:
    d = co.relation("(x,) :- f(x), g(x)")
    f = co.OpenProblem(lambda x: anp.sum(x**2), 1, ports=[0])
    bad = co.OpenProblem(lambda x: x, 1, ports=[0])
    c = co.compose(d, {"f": f, "g": bad})
    with pytest.raises(co.ObjectiveError, match="box 'g'"):
        c.gradient(np.ones(1))
    with pytest.raises(co.StateError, match="length 1"):
        c.objective(np.ones(3))


def test_repeated_names_fill_all_boxes_or_one() -> None:
    d = co.relation("(a,) :- f(a), f(a), g(a)")
    p = co.OpenProblem(lambda x: x[0] ** 2, 1, ports=[0])
    q = co.OpenProblem(lambda x: 10 * x[0] ** 2, 1, ports=[0])
    assert co.compose(d, {"f": p, "g": p}).objective([1.0]) == 3.0
    assert co.compose(d, {"f": p, "f#1": q, "g": p}).objective([1.0]) == 12.0
