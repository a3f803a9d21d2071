"""Z2 polynomials: formal vs Boolean derivatives, the reverse-derivative axioms, composition
of Z2 boxes along UWDs, and the functor square over Z2."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt.backends.z2 import Z2Poly, const, evaluate, reverse_derivative, substitute, var
from catopt.functor.z2 import solve_z2, z2_box, z2_descent


def random_poly(rng: np.random.Generator, n: int, terms: int = 4, max_exp: int = 2) -> Z2Poly:
    out = const(int(rng.integers(2)))
    for _ in range(terms):
        m = const(1)
        for v in rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False):
            m = m * var(int(v)) ** int(rng.integers(1, max_exp + 1))
        out = out + m
    return out


def points(n: int):
    return [np.array(p) for p in itertools.product([0, 1], repeat=n)]


def test_formal_and_boolean_are_kept_apart() -> None:
    x = var(0)
    assert (x * x).partial(0) == const(0)          # 2x = 0 formally
    assert (x * x).boolean_partial(0) == const(1)  # x*x is x as a function
    assert (x * x)([1]) == 1 and (x * x).multilinear() == x
    assert (x + x) == const(0) and x - const(1) == x + const(1)


@given(st.integers(0, 2**32 - 1))
def test_formal_and_boolean_derivatives_agree_on_multilinear(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = random_poly(rng, 3).multilinear()
    for i in range(3):
        for pt in points(3):
            assert p.partial(i)(pt) == p.boolean_partial(i)(pt)


@given(st.integers(0, 2**32 - 1))
def test_evaluation_is_a_ring_homomorphism(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p, q = random_poly(rng, 3), random_poly(rng, 3)
    for pt in points(3):
        assert (p + q)(pt) == p(pt) ^ q(pt)
        assert (p * q)(pt) == p(pt) & q(pt)


@given(st.integers(0, 2**32 - 1))
def test_rd1_additivity_and_rd5_chain_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    f = [random_poly(rng, 3) for _ in range(2)]  # Z2^3 -> Z2^2
    g = [random_poly(rng, 2) for _ in range(2)]  # Z2^2 -> Z2^2
    Rf, Rg = reverse_derivative(f, 3), reverse_derivative(g, 2)
    Rfg = reverse_derivative(substitute(g, f), 3)
    for x in points(3):
        for a, b in itertools.product(points(2), repeat=2):
            assert np.array_equal(Rf(x, (a + b) % 2), Rf(x, a) ^ Rf(x, b))
        for dz in points(2):
            assert np.array_equal(Rfg(x, dz), Rf(x, Rg(evaluate(f, x), dz)))


def test_z2_boxes_compose_and_the_square_holds() -> None:
    """Along a UWD the flips of a shared bit add mod 2, and descent of the composite equals
    the composite of the boxes' descents."""
    rng = np.random.default_rng(0)
    d = co.relation("(a,) :- p(a, b, c), q(b, c), r(a, c)")
    boxes = []
    for name, n in (("p", 3), ("q", 2), ("r", 2)):
        model = [random_poly(rng, n) for _ in range(2)]
        boxes.append(z2_box(model, rng.integers(0, 2, 2), n, ports=range(n), name=name))
    c = co.compose(d, boxes)
    for y in points(c.n):
        y = y.astype(float)
        left = z2_descent(c).update(y)
        right = co.compose(d, [z2_descent(b) for b in boxes]).update(y)
        assert np.array_equal(left, right)
        assert set(np.unique(left)) <= {0.0, 1.0}
        # independent recomputation: XOR of each box's flips on its variables
        g = np.zeros(c.n, dtype=int)
        for b, box in enumerate(boxes):
            sl = c.gluing.box_index(b)
            g[sl] ^= box.gradient(y[sl]).astype(int)
        assert np.array_equal(c.gradient(y), g)


def test_z2_errors() -> None:
    with pytest.raises(co.CatoptError, match="one target bit per model output"):
        z2_box([var(0)], [0, 1], 1)
    with pytest.raises(co.CatoptError, match="uses x3"):
        z2_box([var(3)], [0], 2)
    with pytest.raises(co.CatoptError, match="non-negative int"):
        var(-1)
    with pytest.raises(co.CatoptError, match="takes a Z2Problem"):
        z2_descent(co.OpenProblem(lambda x: x[0], 1))  # type: ignore[arg-type]
    with pytest.raises(co.CatoptError, match="cannot combine"):
        var(0) + 1.5


def test_solve_z2_reaches_a_fixed_point() -> None:
    box = z2_box([var(0) * var(1) + var(0)], [1], 2, ports=[0, 1])
    out = solve_z2(box, [0, 0], steps=20)
    assert out["errors"] == 0 and out["converged"]
