"""The dagger (transpose) and composition in applicative order (``<<``), on random instances.

Each law is also shown to fail for a deliberately broken operator.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt.category import (
    Morphism,
    assert_equivalent,
    copy,
    create,
    delete,
    identity,
    merge,
    swap,
    tensor_all,
)
from tests.helpers.category import boundaries, holds, morphism, scaled
from tests.strategies import random_problem, seeds

shapes = st.sampled_from([(), (2,), (2, 2)])


@given(seeds, boundaries, boundaries, boundaries)
def test_dagger_is_an_involutive_contravariant_functor(seed, a, b, c) -> None:
    r = np.random.default_rng(seed)
    F, G, H = morphism(r, a, b, "F"), morphism(r, b, c, "G"), morphism(r, c, a, "H")
    assert (F.T.dom, F.T.cod) == (F.cod, F.dom)
    assert_equivalent(F.T.T, F)
    assert_equivalent((F >> G).T, G.T >> F.T)
    assert_equivalent((F @ H).T, F.T @ H.T)
    assert_equivalent(identity(a).T, identity(a))
    assert_equivalent(swap(a, b).T, swap(b, a))
    for fun in (co.gradient_flow, lambda m: co.gradient_descent(m, 0.1)):
        assert_equivalent(fun(F.T), fun(F).T)  # the functor commutes with the dagger


@given(shapes, st.integers(0, 3))
def test_dagger_exchanges_the_frobenius_maps(s, n) -> None:
    assert_equivalent(copy(s, n).T, merge(s, n))
    assert_equivalent(merge(s, n).T, copy(s, n))
    assert_equivalent(create(s).T, delete(s))
    assert_equivalent(delete(s).T, create(s))


def test_dagger_laws_fail_for_a_broken_dagger() -> None:
    r = np.random.default_rng(7)
    F, G = morphism(r, [(2,)], [()], "F"), morphism(r, [()], [(3,)], "G")

    def bad(m: Morphism) -> Morphism:  # transposes, but doubles the objective on the way
        return scaled(m, 2.0).T

    assert holds(lambda: F.T.T, lambda: F)
    assert not holds(lambda: bad(bad(F)), lambda: F)
    assert not holds(lambda: bad(F >> G), lambda: bad(G) >> bad(F))

    def bad_copy_t(s):  # a 'transpose' of copy that keeps its direction: not a merge
        return copy(s, 2)

    assert not holds(lambda: bad_copy_t(()), lambda: merge((), 2))


@given(seeds, boundaries, boundaries, boundaries)
def test_applicative_order(seed, a, b, c) -> None:
    r = np.random.default_rng(seed)
    F, G = morphism(r, a, b, "F"), morphism(r, b, c, "G")
    assert_equivalent(G << F, F >> G)
    assert str((G << F).expr) == str((F >> G).expr)


def _tasks(N: int, s0, si):
    r = np.random.default_rng(11)
    out = []
    for i in range(N):
        p, _ = random_problem(r, [s0, si], name=f"task{i + 1}")
        out.append(Morphism(p, 1, name=f"F{i + 1}"))
    return out


def _multitask_uwd(N: int, s0, si, *, shared_first: bool) -> co.UWD:
    b = co.UWDBuilder()
    b.junction("W0", s0)
    for i in range(N):
        b.box(f"F{i + 1}", ["W0", b.junction(f"W{i + 1}", si)])
    private = [f"W{i + 1}" for i in range(N)]
    b.outer(*(["W0", *private] if shared_first else [*private, "W0"]))
    return b.build()


def test_multitask_as_the_paper_writes_it() -> None:
    """Eq. (31) of the paper, ``(F_1 (x) ... (x) F_N) o delta^N``, typed verbatim with ``<<``
    for the paper's ``o``; and its transpose, ``(F_1^T @ ... @ F_N^T) >> merge^N``, the form
    with the shared weights on the codomain. Both equal the UWD with one W0 junction shared
    by the N task boxes."""
    N, s0, si = 3, (3, 2), (2,)
    Fs = _tasks(N, s0, si)
    paper = tensor_all(Fs) << copy(s0, N)
    assert (paper.dom, paper.cod) == ((s0,), (si,) * N)
    uwd = _multitask_uwd(N, s0, si, shared_first=True)
    assert_equivalent(paper.thing, co.compose(uwd, [F.thing for F in Fs]))
    transposed = tensor_all([F.T for F in Fs]) >> merge(s0, N)
    assert (transposed.dom, transposed.cod) == ((si,) * N, (s0,))
    uwd_t = _multitask_uwd(N, s0, si, shared_first=False)
    assert_equivalent(transposed.thing, co.compose(uwd_t, [F.thing for F in Fs]))
    assert_equivalent(transposed, paper.T)
    # the compiled UWD of the transposed expression has the same boxes and one shared W0
    d, fillers = transposed.to_uwd()
    assert d.boxes == tuple(f"F{i + 1}" for i in range(N))
    assert len({d.ports(k)[0] for k in range(N)}) == 1
    assert_equivalent(Morphism.from_uwd(d, fillers, N), transposed)


def test_multitask_check_fails_without_sharing() -> None:
    """The same check rejects the construction when the N copies are not shared."""
    N, s0, si = 3, (3, 2), (2,)
    Fs = _tasks(N, s0, si)
    unshared = tensor_all(Fs) << (delete(s0) @ tensor_all([create(s0)] * N))
    uwd = _multitask_uwd(N, s0, si, shared_first=True)
    assert not co.category.equivalent(unshared.thing, co.compose(uwd, [F.thing for F in Fs]))


def test_bad_input_in_applicative_order() -> None:
    r = np.random.default_rng(3)
    F, G = morphism(r, [()], [(2,)], "F"), morphism(r, [(3,)], [()], "G")
    with pytest.raises(co.CompositionError,
                       match=r"cannot compose F : R -> R\^2 with G : R\^3 -> R"):
        G << F
    with pytest.raises(co.CompositionError, match="expected a Morphism"):
        F << "G"  # type: ignore[operator]
