"""Decorated-span composition, computed independently with explicit matrices, agrees with
``>>`` (the UWD pushout); and the check rejects a composition that does not share or that
forgets an objective."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given

import catopt as co
from catopt.category import Morphism
from catopt.problems.blocks import zero_block
from tests.helpers.category import boundaries, morphism
from tests.strategies import seeds


def legs(m: Morphism) -> tuple[np.ndarray, np.ndarray]:
    """The legs ``X <- N -> Y`` of ``m``'s span as 0/1 matrices (rows: boundary coordinates)."""
    t = m.thing
    eye = np.eye(t.n)
    rows = [eye[t.space.offsets[v]:t.space.offsets[v + 1]] for v in t.port_variables]
    k = len(m.dom)
    stack = lambda rs: np.vstack(rs) if rs else np.zeros((0, t.n))  # noqa: E731
    return stack(rows[:k]), stack(rows[k:])


def null_space(M: np.ndarray) -> np.ndarray:
    """An orthonormal basis of ``{v : M v = 0}`` as columns."""
    if M.shape[0] == 0:
        return np.eye(M.shape[1])
    _, s, vt = np.linalg.svd(M)
    rank = int(np.sum(s > 1e-10))
    return vt[rank:].T


def span_composite_agrees(F: Morphism, G: Morphism, FG: Morphism, seed: int = 0) -> bool:
    """Whether ``FG`` is the decorated-span composite of ``F`` and ``G``.

    The span composite's apex is the pullback ``P = {(n, m) : r_F n = l_G m}`` (here a null
    space), its legs are ``l_F n`` and ``r_G m``, and its objective is ``f(n) + g(m)``.
    ``FG`` (a composite along two boxes, F's then G's) embeds its coordinates ``y`` as
    ``(n, m) = e y`` through its gluing; we check that ``e`` is a bijection onto ``P``, that
    the legs commute with it, and that the objectives agree at random points.
    """
    lF, rF = legs(F)
    lG, rG = legs(G)
    nF, nG, n = F.thing.n, G.thing.n, FG.thing.n
    constraint = np.hstack([rF, -lG])
    if n != null_space(constraint).shape[1]:
        return False
    gl = FG.thing.gluing
    e = np.zeros((nF + nG, n))
    e[np.arange(nF + nG), np.concatenate([gl.box_index(0), gl.box_index(1)])] = 1.0
    if n and (np.linalg.matrix_rank(e) != n or not np.allclose(constraint @ e, 0)):
        return False
    lFG, rFG = legs(FG)
    if not (np.allclose(lFG, lF @ e[:nF]) and np.allclose(rFG, rG @ e[nF:])):
        return False
    rng = np.random.default_rng(seed)
    for _ in range(3):
        y = rng.standard_normal(n)
        nm = e @ y
        expected = F.thing.objective(nm[:nF]) + G.thing.objective(nm[nF:])
        if not np.isclose(FG.thing.objective(y), expected, rtol=1e-10, atol=1e-10):
            return False
    return True


@given(seeds, boundaries, boundaries, boundaries)
def test_span_composition_agrees_with_the_pushout(seed, a, b, c) -> None:
    r = np.random.default_rng(seed)
    F, G = morphism(r, a, b, "F"), morphism(r, b, c, "G")
    assert span_composite_agrees(F, G, F >> G, seed)


def _non_sharing_then(f: Morphism, g: Morphism) -> Morphism:
    """A '>>' that never identifies f's codomain with g's domain."""
    x = [f"x{i}" for i in range(len(f.dom))]
    y = [f"y{i}" for i in range(len(f.cod))]
    y2 = [f"u{i}" for i in range(len(g.dom))]
    z = [f"z{i}" for i in range(len(g.cod))]
    shapes = dict(zip(x + y + y2 + z, f.dom + f.cod + g.dom + g.cod, strict=True))
    d = co.UWD([("F", x + y), ("G", y2 + z)], x + z, junctions=x + z + y + y2, shapes=shapes)
    return Morphism(co.compose(d, [f.thing, g.thing]), len(f.dom))


def _forgetful_then(f: Morphism, g: Morphism) -> Morphism:
    """A '>>' that drops g's objective."""
    t = g.thing
    silent = t.with_parts(leaves=(zero_block(t.n),), leaf_names=("G",), index=np.arange(t.n))
    return f >> Morphism(silent, len(g.dom))


def test_span_check_fails_for_broken_compositions() -> None:
    r = np.random.default_rng(9)
    F, G = morphism(r, [(2,)], [(), (3,)], "F"), morphism(r, [(), (3,)], [(2, 2)], "G")
    bad: list[Callable[[Morphism, Morphism], Morphism]] = [_non_sharing_then, _forgetful_then]
    assert span_composite_agrees(F, G, F >> G)
    for then in bad:
        assert not span_composite_agrees(F, G, then(F, G)), then.__name__
