"""The same category laws for morphisms of open dynamical systems that are not gradient
systems (random affine dynamics with a rotational part), continuous and discrete."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt.category import Morphism, NotEquivalent, assert_equivalent, copy, identity, merge, swap
from tests.helpers.category import boundaries, holds
from tests.strategies import seeds

kinds = st.sampled_from(["continuous", "discrete"])


def system(rng: np.random.Generator, dom, cod, kind: str, name: str) -> Morphism:
    """A random affine open system ``x -> A x + b`` (A not symmetric) on the boundary wires
    plus one private scalar, as a morphism ``dom -> cod``."""
    wires = list(dom) + list(cod)
    space = {f"v{k}": s for k, s in enumerate(wires)} | {"p": ()}
    n = sum(math.prod(s) for s in wires) + 1
    A, b = rng.standard_normal((n, n)), rng.standard_normal(n)
    ports = [f"v{k}" for k in range(len(wires))]
    if kind == "continuous":
        thing = co.OpenContinuousSystem(lambda x: A @ x + b, space, ports, name=name)
    else:
        thing = co.OpenDiscreteSystem(lambda x: x + 0.1 * (A @ x + b), space, ports, name=name)
    return Morphism(thing, len(dom), name=name)


@given(seeds, kinds, boundaries, boundaries, boundaries, boundaries)
def test_category_laws_for_systems(seed, kind, a, b, c, d) -> None:
    r = np.random.default_rng(seed)
    F, G, H = system(r, a, b, kind, "F"), system(r, b, c, kind, "G"), system(r, c, d, kind, "H")
    K = system(r, d, a, kind, "K")
    assert_equivalent((F >> G) >> H, F >> (G >> H))
    assert_equivalent(identity(a, kind) >> F, F)
    assert_equivalent(F >> identity(b, kind), F)
    assert_equivalent((F @ K) >> (G @ identity(a, kind)), (F >> G) @ K)
    assert_equivalent((F @ K) >> swap(b, a, kind), swap(a, d, kind) >> (K @ F))
    assert_equivalent((F >> G).T, G.T >> F.T)


@given(kinds, st.sampled_from([(), (2,)]))
def test_special_frobenius_for_systems(kind, s) -> None:
    i = identity([s], kind)
    assert_equivalent(copy(s, kind=kind) >> merge(s, kind=kind), i)
    assert_equivalent((copy(s, kind=kind) @ i) >> (i @ merge(s, kind=kind)),
                      merge(s, kind=kind) >> copy(s, kind=kind))


def test_system_laws_fail_when_an_increment_is_lost() -> None:
    """A composition of discrete systems that pushes states instead of increments (so a
    shared variable takes the sum of its boxes' new values) breaks the unit law."""
    r = np.random.default_rng(4)
    F = system(r, [()], [(2,)], "discrete", "F")

    def bad_then(f: Morphism, g: Morphism) -> Morphism:
        t = (f >> g).thing
        gl, comps = t.gluing, list(t.components.values())

        def u(y: np.ndarray) -> np.ndarray:  # phi_* (sum_b u_b)(phi^* y): states, not steps
            return sum(np.bincount(gl.box_index(k), c.update(y[gl.box_index(k)], 0), t.n)
                       for k, c in enumerate(comps))

        return Morphism(co.OpenDiscreteSystem(u, t.space, list(t.ports)), len(f.dom))

    assert holds(lambda: identity([()], "discrete") >> F, lambda: F)
    assert not holds(lambda: bad_then(identity([()], "discrete"), F), lambda: F)
    with pytest.raises(NotEquivalent, match="update at t=0 differs"):
        assert_equivalent(bad_then(identity([()], "discrete"), F), F)
