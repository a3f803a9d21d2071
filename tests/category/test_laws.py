"""The hypergraph-category laws, on random instances, up to relabelling of coordinates.

Each law is also shown to fail for a deliberately broken operator, so the checks can fail.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt.category import (
    Morphism,
    NotEquivalent,
    assert_equivalent,
    copy,
    create,
    delete,
    identity,
    merge,
    swap,
)
from catopt.category.generators import zero
from tests.helpers.category import boundaries, holds, morphism, scaled
from tests.strategies import random_problem, seeds


def rng_of(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# -- a fixed, non-degenerate instance for the broken operators -------------------------------
X, Y, Z, W = ((), (2,)), ((3,), ()), ((2, 2),), ((), ())


def fixed():
    r = rng_of(2024)
    return (morphism(r, X, Y, "F"), morphism(r, Y, Z, "G"), morphism(r, Z, W, "H"),
            morphism(r, W, X, "K"))


# -- category laws ---------------------------------------------------------------------------

@given(seeds, boundaries, boundaries, boundaries, boundaries)
def test_associativity(seed, a, b, c, d) -> None:
    r = rng_of(seed)
    F, G, H = morphism(r, a, b, "F"), morphism(r, b, c, "G"), morphism(r, c, d, "H")
    assert_equivalent((F >> G) >> H, F >> (G >> H))


def test_associativity_fails_for_a_broken_composition() -> None:
    F, G, H, _ = fixed()

    def bad(f: Morphism, g: Morphism) -> Morphism:  # counts the second objective twice
        return f >> scaled(g, 2.0)

    assert holds(lambda: (F >> G) >> H, lambda: F >> (G >> H))
    assert not holds(lambda: bad(bad(F, G), H), lambda: bad(F, bad(G, H)))


@given(seeds, boundaries, boundaries)
def test_unit_laws(seed, a, b) -> None:
    F = morphism(rng_of(seed), a, b, "F")
    assert_equivalent(identity(a) >> F, F)
    assert_equivalent(F >> identity(b), F)


def _bad_identity(X) -> Morphism:
    """An 'identity' whose two sides are different variables: it does not share."""
    n = len(X)
    thing = zero("problem", tuple(X) * 2, list(range(2 * n)))
    return Morphism(thing, n, name="bad_id")


def test_unit_law_fails_for_a_non_sharing_identity() -> None:
    F, *_ = fixed()
    assert not holds(lambda: F >> _bad_identity(Y), lambda: F)
    assert not holds(lambda: _bad_identity(X) >> F, lambda: F)


# -- monoidal laws ---------------------------------------------------------------------------

@given(seeds, boundaries, boundaries, boundaries, boundaries, boundaries, boundaries)
def test_interchange(seed, a, b, c, d, e, f) -> None:
    r = rng_of(seed)
    F, G = morphism(r, a, b, "F"), morphism(r, c, d, "G")
    H, K = morphism(r, b, e, "H"), morphism(r, d, f, "K")
    assert_equivalent((F @ G) >> (H @ K), (F >> H) @ (G >> K))


@given(seeds, boundaries, boundaries, boundaries)
def test_tensor_associative_with_unit(seed, a, b, c) -> None:
    r = rng_of(seed)
    F, G, H = morphism(r, a, b, "F"), morphism(r, b, c, "G"), morphism(r, c, a, "H")
    assert_equivalent((F @ G) @ H, F @ (G @ H))
    assert_equivalent(F @ identity(()), F)
    assert_equivalent(identity(()) @ F, F)


def _bad_tensor(f: Morphism, g: Morphism) -> Morphism:
    """A 'tensor' that orders the codomain the wrong way round."""
    a = [f"a{i}" for i in range(len(f.dom))]
    b = [f"b{i}" for i in range(len(f.cod))]
    c = [f"c{i}" for i in range(len(g.dom))]
    e = [f"e{i}" for i in range(len(g.cod))]
    shapes = {**dict(zip(a, f.dom, strict=True)), **dict(zip(b, f.cod, strict=True)),
              **dict(zip(c, g.dom, strict=True)),
              **dict(zip(e, g.cod, strict=True))}
    d = co.UWD([("F", a + b), ("G", c + e)], a + c + e + b, shapes=shapes)
    return Morphism(co.compose(d, [f.thing, g.thing]), len(a) + len(c))


def test_interchange_fails_for_a_broken_tensor() -> None:
    F, G, _, _ = fixed()
    G2, K2 = morphism(rng_of(1), Z, Y, "G2"), morphism(rng_of(2), Y, Z, "K2")
    assert holds(lambda: (F @ G2) >> (G @ K2), lambda: (F >> G) @ (G2 >> K2))
    assert not holds(lambda: _bad_tensor(F, G2) >> _bad_tensor(G, K2),
                     lambda: _bad_tensor(F >> G, G2 >> K2))


@given(seeds, boundaries, boundaries, boundaries, boundaries)
def test_naturality_of_the_symmetry(seed, a, b, c, d) -> None:
    r = rng_of(seed)
    F, G = morphism(r, a, b, "F"), morphism(r, c, d, "G")
    assert_equivalent((F @ G) >> swap(b, d), swap(a, c) >> (G @ F))
    assert_equivalent(swap(a, c) >> swap(c, a), identity(tuple(a) + tuple(c)))


def test_symmetry_naturality_fails_for_an_identity_posing_as_swap() -> None:
    r = rng_of(5)
    F, G = morphism(r, [()], [()], "F"), morphism(r, [()], [()], "G")
    fake_swap = lambda p, q: identity(tuple(p) + tuple(q))  # noqa: E731
    assert holds(lambda: (F @ G) >> swap([()], [()]), lambda: swap([()], [()]) >> (G @ F))
    assert not holds(lambda: (F @ G) >> fake_swap([()], [()]),
                     lambda: fake_swap([()], [()]) >> (G @ F))


# -- Frobenius laws --------------------------------------------------------------------------

shapes = st.sampled_from([(), (2,), (2, 2)])


def frobenius_laws(cp: Callable, mg: Callable, s) -> dict[str, bool]:
    i = identity([s])
    return {
        "frobenius left": holds(lambda: (cp(s) @ i) >> (i @ mg(s)), lambda: mg(s) >> cp(s)),
        "frobenius right": holds(lambda: (i @ cp(s)) >> (mg(s) @ i), lambda: mg(s) >> cp(s)),
        "special": holds(lambda: cp(s) >> mg(s), lambda: i),
        "unit": holds(lambda: (create(s) @ i) >> mg(s), lambda: i),
        "counit": holds(lambda: cp(s) >> (delete(s) @ i), lambda: i),
        "associative": holds(lambda: (mg(s) @ i) >> mg(s), lambda: (i @ mg(s)) >> mg(s)),
        "commutative": holds(lambda: swap([s], [s]) >> mg(s), lambda: mg(s)),
        "coassociative": holds(lambda: cp(s) >> (cp(s) @ i), lambda: cp(s) >> (i @ cp(s))),
    }


@given(shapes)
def test_special_commutative_frobenius_laws(s) -> None:
    laws = frobenius_laws(copy, merge, s)
    assert all(laws.values()), laws


def _bad_copy(s=()) -> Morphism:
    """A 'copy' whose outputs are a fresh variable, not its input: it does not share."""
    return Morphism(zero("problem", (s, s), [0, 1, 1]), 1, name="bad_copy")


def test_frobenius_laws_fail_for_a_copy_that_does_not_share() -> None:
    laws = frobenius_laws(lambda s: _bad_copy(s), merge, (2,))
    assert not laws["special"]
    assert not laws["frobenius left"]


def test_n_fold_copy_is_iterated_copy() -> None:
    s = (3,)
    i = identity([s])
    assert_equivalent(copy(s, 3), copy(s) >> (copy(s) @ i))
    assert_equivalent(copy(s, 0), delete(s))
    assert_equivalent(merge(s, 1), i)


# -- the functor -----------------------------------------------------------------------------

@given(seeds, boundaries, boundaries, boundaries, st.floats(0.01, 0.5))
def test_functor_laws(seed, a, b, c, step) -> None:
    r = rng_of(seed)
    F, G = morphism(r, a, b, "F"), morphism(r, b, c, "G")
    flow, gd = co.gradient_flow, lambda m: co.gradient_descent(m, step)
    for fun, kind in ((flow, "continuous"), (gd, "discrete")):
        assert_equivalent(fun(F >> G), fun(F) >> fun(G))
        assert_equivalent(fun(F @ G), fun(F) @ fun(G))
        assert_equivalent(fun(identity(a)), identity(a, kind))
        for s in set(a) | {()}:
            assert_equivalent(fun(copy(s)), copy(s, kind=kind))
            assert_equivalent(fun(merge(s)), merge(s, kind=kind))
            assert_equivalent(fun(create(s)), create(s, kind=kind))
            assert_equivalent(fun(delete(s)), delete(s, kind=kind))
        assert_equivalent(fun(swap(a, b)), swap(a, b, kind))
    # euler after flow is descent, on morphisms too
    assert_equivalent(co.euler(flow(F >> G), step), gd(F >> G))


def test_functor_law_fails_for_a_non_functorial_map() -> None:
    F, G, *_ = fixed()

    def bad_flow(m: Morphism) -> Morphism:  # damps by the number of boxes: not compositional
        k = max(1, len(m.thing.blocks))
        return co.gradient_flow(scaled(m, 1.0 / k))

    flow = co.gradient_flow
    assert holds(lambda: flow(F >> G), lambda: flow(F) >> flow(G))
    assert not holds(lambda: bad_flow(F >> G), lambda: bad_flow(F) >> bad_flow(G))


# -- decorated spans (pullback) against UWDs (pushout): see test_spans.py ----------------


# -- both views ------------------------------------------------------------------------------

@given(seeds, boundaries, boundaries, boundaries)
def test_expression_compiles_to_an_equivalent_uwd(seed, a, b, c) -> None:
    r = rng_of(seed)
    F, G, H = morphism(r, a, b, "F"), morphism(r, b, c, "G"), morphism(r, a, c, "H")
    expr = ((F >> G) @ H) >> (identity(c) @ swap([], c)) >> merge_all(c)
    d, fillers = expr.to_uwd()
    assert d.boxes == ("F", "G", "H")
    assert_equivalent(Morphism.from_uwd(d, fillers, len(expr.dom)), expr)


def merge_all(c) -> Morphism:
    """Merge two copies of a boundary of at most two wires, wire by wire: c (x) c -> c."""
    c = tuple(c)
    if not c:
        return identity(())
    if len(c) == 1:
        return merge(c[0])
    s0, s1 = c
    interleave = identity([s0]) @ swap([s1], [s0]) @ identity([s1])
    return interleave >> (merge(s0) @ merge(s1))


def test_uwd_as_morphism_splits_outer_ports() -> None:
    d = co.relation("(a, b, c) :- f(a, b), g(b, c)")
    f = co.OpenProblem(lambda x: (x[0] - x[1]) ** 2, 2, ports=[0, 1])
    g = co.OpenProblem(lambda x: (x[0] + x[1]) ** 2, 2, ports=[0, 1])
    m = Morphism.from_uwd(d, [f, g], 1)
    assert m.dom == ((),) and m.cod == ((), ())
    F, G = Morphism(f, 1, name="f"), Morphism(g, 1, name="g")
    assert_equivalent(m, F >> copy(()) >> (identity([()]) @ G))


# -- the paper's multitask construction ------------------------------------------------------

def test_multitask_construction_verbatim() -> None:
    """(F_1 @ ... @ F_N) after the N-fold copy of W0 equals the UWD with W0 shared by N
    task boxes. The paper writes (F_1 (x) ... (x) F_N) o delta^N; in catopt's diagrammatic
    order that is copy(W0, N) >> (F_1 @ ... @ F_N)."""
    r = rng_of(3)
    N, s0, si = 4, (3, 2), (2,)
    Fs = []
    for i in range(N):
        p, _ = random_problem(r, [s0, si], name=f"task{i}")
        Fs.append(Morphism(p, 1, name=f"task{i}"))
    mt = copy(s0, N) >> co.category.tensor_all(Fs)
    b = co.UWDBuilder()
    b.junction("W0", s0)
    for i in range(N):
        b.box(f"task{i}", ["W0", b.junction(f"W{i + 1}", si)])
    b.outer("W0", *[f"W{i + 1}" for i in range(N)])
    uwd_version = co.compose(b.build(), [F.thing for F in Fs])
    assert_equivalent(mt.thing, uwd_version)
    assert mt.dom == (s0,) and mt.cod == (si,) * N
    # and distributed gradient descent on either is the same algorithm
    assert_equivalent(co.gradient_descent(mt, 0.1).thing,
                      co.compose(b.build(), [co.gradient_descent(F.thing, 0.1) for F in Fs]))


# -- bad input -------------------------------------------------------------------------------

def test_mismatched_boundaries_name_both() -> None:
    F, G, H, _ = fixed()
    with pytest.raises(co.CompositionError, match=r"cannot compose F .* with H .*codomain"):
        F >> H
    with pytest.raises(co.CompositionError, match="expected a Morphism"):
        F >> 3  # type: ignore[operator]
    with pytest.raises(co.CompositionError, match="n_dom must be"):
        Morphism(F.thing, 9)
    with pytest.raises(co.CompositionError, match="carried by an open problem"):
        Morphism("F", 0)  # type: ignore[arg-type]
    with pytest.raises(co.CompositionError, match="unknown kind 'quantum'"):
        identity(X, "quantum")
    with pytest.raises(NotEquivalent, match="types"):
        assert_equivalent(F, G)
