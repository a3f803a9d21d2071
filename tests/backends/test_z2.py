"""Z2 polynomials: formal vs Boolean derivatives, the reverse-derivative axioms, composition
of Z2 boxes along UWDs, and the functor square over Z2."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt import solve_z2
from catopt.backends.z2 import Z2Poly, const, evaluate, reverse_derivative, substitute, var
from catopt.functor.boolean import z2_box, z2_descent


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


@given(st.integers(0, 2**32 - 1))
def test_z2_backend_reverse_derivative_axioms(seed: int) -> None:
    """Through the backend interface: RD.1 (additive in dy, mod 2), RD.5 (chain rule), and
    R[f](x, 1) of a scalar objective is value_and_grad's gradient, checked against an
    independent Boolean-difference Jacobian of the multilinear form."""
    rng = np.random.default_rng(seed)
    be = co.backends.get_backend("z2")
    f = [random_poly(rng, 3) for _ in range(3)]  # Z2^3 -> Z2^3
    g = [random_poly(rng, 3) for _ in range(2)]  # Z2^3 -> Z2^2
    Rf, Rg, Rgf = (be.reverse_derivative(h) for h in (f, g, substitute(g, f)))
    for x in points(3):
        for a, b in itertools.product(points(3), repeat=2):
            assert np.array_equal(Rf(x, (a + b) % 2), (Rf(x, a) + Rf(x, b)) % 2)
        for dz in points(2):
            assert np.array_equal(Rgf(x, dz), Rf(x, Rg(evaluate(f, x), dz)))
        # the formal derivative of a multilinear map is its Boolean difference
        ml = [p.multilinear() for p in f]
        J = np.array([[p.boolean_partial(i)(x) for i in range(3)] for p in ml])
        dy = rng.integers(0, 2, 3)
        assert np.array_equal(be.reverse_derivative(ml)(x, dy), (J.T @ dy) % 2)
    p = f[0] + var(2)  # make sure x2 is used, so the space has 3 bits
    prob = co.OpenProblem(p, 3, backend="z2")
    for x in points(3):
        v, grad = prob.value_and_grad(x.astype(float))
        assert v == p(x)
        assert np.array_equal(grad, be.reverse_derivative(p)(x, [1]))


def _random_z2_composite(rng: np.random.Generator):
    """Boxes on random subsets of junctions (plus private bits) with random models/targets."""
    nj = int(rng.integers(1, 4))
    junctions = [f"j{k}" for k in range(nj)]
    terms, boxes = [], []
    for b in range(int(rng.integers(1, 4))):
        k = int(rng.integers(1, nj + 1))
        ports = list(rng.choice(junctions, size=k, replace=False))
        n = k + int(rng.integers(0, 2))
        model = [random_poly(rng, n) for _ in range(int(rng.integers(1, 3)))]
        boxes.append(z2_box(model, rng.integers(0, 2, len(model)), n, ports=range(k),
                            name=f"b{b}"))
        terms.append(f"b{b}({', '.join(ports)})")
    outer = list(rng.choice(junctions, size=int(rng.integers(0, nj + 1)), replace=False))
    d = co.relation(f"({', '.join(outer)}{',' if len(outer) == 1 else ''}) :- "
                    + ", ".join(terms))
    return d, boxes


@given(st.integers(0, 2**32 - 1))
def test_z2_square_on_random_composites(seed: int) -> None:
    """z2_descent(compose(d, bs)) == compose(d, [z2_descent(b)]) == y XOR (the XOR over boxes
    of each box's R[f_b](theta, e_b) on its own variables)."""
    rng = np.random.default_rng(seed)
    d, boxes = _random_z2_composite(rng)
    c = co.compose(d, boxes)
    y = rng.integers(0, 2, c.n).astype(float)
    left = z2_descent(c).update(y)
    right = co.compose(d, [z2_descent(b) for b in boxes]).update(y)
    flips = np.zeros(c.n, dtype=int)
    for b, box in enumerate(boxes):
        sl = c.gluing.box_index(b)
        np.bitwise_xor.at(flips, sl, box.gradient(y[sl]).astype(int))
    assert np.array_equal(left, right)
    assert np.array_equal(left, (y.astype(int) ^ flips).astype(float))


def test_z2_rejects_non_bits() -> None:
    be = co.backends.get_backend("z2")
    with pytest.raises(co.CatoptError, match="entries 0 or 1"):
        be.value_and_grad(var(0) * var(1))(np.array([0.5, 1.0]))
    with pytest.raises(co.CatoptError, match="entries 0 or 1"):
        be.reverse_derivative([var(0)])(np.array([2]), [1])
    with pytest.raises(co.CatoptError, match="length 2"):
        be.reverse_derivative([var(0), var(1)])(np.array([1, 0]), [1])
    with pytest.raises(co.CatoptError, match="only 1 bits"):
        be.value_and_grad(var(0) * var(1))(np.array([1.0]))
    with pytest.raises(co.CatoptError, match="takes a Z2Poly"):
        be.reverse_derivative(lambda x: x)
    box = z2_box([var(0)], [1], 2, ports=[0, 1], name="lut")
    with pytest.raises(co.CatoptError, match="'lut'.*0 or 1"):
        box.gradient(np.array([3.0, 0.0]))
    with pytest.raises(co.CatoptError, match="entries 0 or 1"):
        z2_box([var(0)], [2], 1)
    with pytest.raises(co.CatoptError):
        z2_box([var(0)], [1], 1, ports=[4])


@given(st.integers(0, 2**32 - 1))
def test_vectorized_gradient_and_evaluation_match_the_formal_definitions(seed: int) -> None:
    """The exponent-matrix gradient equals each formal partial polynomial evaluated, and the
    vectorized evaluation equals the parity of the monomials with all their variables 1."""
    rng = np.random.default_rng(seed)
    p = random_poly(rng, 4, terms=6, max_exp=3)
    for x in points(4):
        assert np.array_equal(p.gradient(x, 4), [p.partial(i)(x) for i in range(4)])
        assert p(x) == sum(all(x[v] for v, _ in m) for m in p.monomials) % 2
    with pytest.raises(co.CatoptError, match="at least 4 bits"):
        (var(0) * var(3))([1, 1])
    with pytest.raises(co.CatoptError, match="at least 4 entries"):
        (var(0) * var(3)).gradient([1, 1, 1, 1], 2)
    with pytest.raises(co.CatoptError, match="only 2 inputs"):
        reverse_derivative([var(4)], 2)
