"""Quadratic and least-squares box families: every box's value and gradient recomputed
independently from its closed form; their declared forms are the boxes' own (Q, q, r); bad
data is refused naming the family and the argument; a family's fused value_and_grad is
checked like its objective."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt.problems.quadratic import LeastSquaresFamily, QuadraticFamily
from catopt.program.program import Program


def wired(fam: co.BoxFamily, rng: np.random.Generator, nj: int = 4) -> co.OpenProblem:
    b = co.UWDBuilder()
    for j in range(nj):
        b.junction(f"j{j}", (2,))
    for i in range(len(fam)):
        b.box(f"e{i}", [f"j{int(rng.integers(nj))}", f"j{int(rng.integers(nj))}"])
    return co.compose(b.build(), fam.problems())


def reference(c: co.OpenProblem, y: np.ndarray, f, g) -> tuple[float, np.ndarray]:
    """Box by box: ``f(i, x)``, ``g(i, x)`` on each box's coordinates, gradients added."""
    v, grad = 0.0, np.zeros(c.n)
    offs = c.block_offsets
    for i in range(len(offs) - 1):
        idx = c.gather_index[offs[i]:offs[i + 1]]
        v += f(i, y[idx])
        np.add.at(grad, idx, g(i, y[idx]))
    return v, grad


@given(st.integers(0, 2**32 - 1), st.sampled_from(["none", "one", "each"]))
def test_least_squares_boxes_are_their_closed_form(seed: int, weight: str) -> None:
    rng = np.random.default_rng(seed)
    N = int(rng.integers(1, 8))
    A, b = rng.standard_normal((N, 3, 4)), rng.standard_normal((N, 3))
    M = rng.standard_normal((N, 3, 3))
    Ws = np.einsum("kij,klj->kil", M, M) + np.eye(3)
    W = {"none": None, "one": Ws[0], "each": Ws}[weight]
    Wk = [np.eye(3) if W is None else (Ws[0] if weight == "one" else Ws[i]) for i in range(N)]
    fam = LeastSquaresFamily({"a": (2,), "b": (2,)}, ["a", "b"], A=A, b=b, weight=W)
    c = wired(fam, rng)
    y = rng.standard_normal(c.n)
    v_ref, g_ref = reference(
        c, y, lambda i, x: 0.5 * (A[i] @ x - b[i]) @ Wk[i] @ (A[i] @ x - b[i]),
        lambda i, x: A[i].T @ Wk[i] @ (A[i] @ x - b[i]))
    for p in (c, co.fuse_families(c)):
        v, g = co.Program(p.n, p.program.leaves, p.program.leaf_names, p.program.index,
                          compile=False).value_and_grad(y)
        assert v == pytest.approx(v_ref, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(g, g_ref, rtol=1e-11, atol=1e-11)
    Q, q, r = fam.form()
    for i in range(N):  # the declared form is the box's own quadratic
        x = rng.standard_normal(4)
        res = A[i] @ x - b[i]
        assert 0.5 * x @ Q[i] @ x + q[i] @ x + r[i] == pytest.approx(
            0.5 * res @ Wk[i] @ res, rel=1e-10, abs=1e-10)


@given(st.integers(0, 2**32 - 1))
def test_quadratic_boxes_are_their_closed_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    N = int(rng.integers(1, 8))
    Q, q, r = rng.standard_normal((N, 4, 4)), rng.standard_normal((N, 4)), rng.standard_normal(N)
    fam = QuadraticFamily({"a": (2,), "b": (2,)}, ["a", "b"], Q=Q, q=q, r=r)
    c = wired(fam, rng)
    y = rng.standard_normal(c.n)
    v_ref, g_ref = reference(c, y, lambda i, x: 0.5 * x @ Q[i] @ x + q[i] @ x + r[i],
                             lambda i, x: 0.5 * (Q[i] + Q[i].T) @ x + q[i])
    for p in (c, co.fuse_families(c)):
        v, g = p.value_and_grad(y)
        assert v == pytest.approx(v_ref, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(g, g_ref, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(fam.form()[0], 0.5 * (Q + Q.transpose(0, 2, 1)))


def test_a_wrong_closed_form_is_caught() -> None:
    """The companion: a family whose gradient forgets to symmetrize fails the same check."""
    rng = np.random.default_rng(0)
    Q = rng.standard_normal((3, 4, 4))
    c = wired(QuadraticFamily({"a": (2,), "b": (2,)}, ["a", "b"], Q=Q), rng)
    y = rng.standard_normal(c.n)
    _, g_bad = reference(c, y, lambda i, x: 0.5 * x @ Q[i] @ x, lambda i, x: Q[i] @ x)
    assert not np.allclose(c.gradient(y), g_bad, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"A": np.zeros((2, 3))}, ["'ls'", "A", "3 axes"]),
    ({"A": np.zeros((2, 3, 5))}, ["'ls'", "A", "(2, 3, 4)"]),
    ({"A": np.zeros((2, 3, 4)), "b": np.zeros((2, 2))}, ["b", "(2, 3)"]),
    ({"A": np.full((2, 3, 4), np.nan)}, ["A", "NaN"]),
    ({"A": np.zeros((2, 3, 4)), "weight": np.arange(9.0).reshape(3, 3)}, ["weight",
                                                                           "symmetric"]),
    ({"A": np.zeros((2, 3, 4)), "weight": np.eye(2)}, ["weight", "(3, 3)"]),
    ({"A": [[1, 2], [3]]}, ["A", "3 axes"]),
    ({"A": "abc"}, ["A"]),
])
def test_bad_least_squares_data_is_refused(kwargs, words) -> None:
    with pytest.raises(co.ObjectiveError) as e:
        LeastSquaresFamily({"a": (2,), "b": (2,)}, ["a", "b"], name="ls", **kwargs)
    assert all(w in str(e.value) for w in words), str(e.value)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"Q": np.zeros((2, 4, 3))}, ["'qf'", "Q", "(2, 4, 4)"]),
    ({"Q": np.zeros((2, 4, 4)), "q": np.zeros(4)}, ["q", "(2, 4)"]),
    ({"Q": np.zeros((2, 4, 4)), "r": np.zeros((2, 1))}, ["r", "(2,)"]),
    ({"Q": np.zeros((0, 4, 4))}, ["Q", "N >= 1"]),
])
def test_bad_quadratic_data_is_refused(kwargs, words) -> None:
    with pytest.raises(co.ObjectiveError) as e:
        QuadraticFamily(4, [0], name="qf", **kwargs)
    assert all(w in str(e.value) for w in words), str(e.value)


def test_a_family_value_and_grad_is_used_and_checked() -> None:
    calls = []

    def vg(X, a):
        calls.append(len(X))
        return np.sum((X - a) ** 2, 1), 2 * (X - a)

    a = np.arange(6.0).reshape(3, 2)
    fam = co.BoxFamily(lambda X, a: np.sum((X - a) ** 2, 1), 2, [0, 1], data={"a": a},
                       grad=lambda X, a: 2 * (X - a), value_and_grad=vg)
    c = co.fuse_families(co.compose(co.relation("() :- f(x, y), g(y, z), h(z, x)"),
                                    fam.problems()))
    v, g = c.value_and_grad(np.zeros(c.n))
    assert calls == [3] and v == pytest.approx(np.sum(a**2))
    bad = co.BoxFamily(lambda X, a: np.sum(X, 1), 2, [0, 1], data={"a": a}, name="bad",
                       value_and_grad=lambda X, a: (np.zeros(2), X))
    c = co.fuse_families(co.compose(co.relation("() :- f(x, y), g(y, z), h(z, x)"),
                                    bad.problems()))
    with pytest.raises(co.ObjectiveError, match="'bad'.*value_and_grad returned values of "
                                                  "shape \\(2,\\)"):
        c.value_and_grad(np.zeros(c.n))
    with pytest.raises(co.ObjectiveError, match="value_and_grad"):
        co.BoxFamily(lambda x, a: x @ a, 2, [0], data={"a": a}, backend="jax",
                     value_and_grad=vg)


def test_the_data_is_a_read_only_copy_so_compiled_programs_never_go_stale() -> None:
    """The program compiles the family's form once; changing the caller's arrays afterwards
    changes nothing, the family's own arrays refuse changes, and the compiled gradient still
    equals the generic kernel's."""
    rng = np.random.default_rng(4)
    A, b = rng.standard_normal((3, 2, 2)), rng.standard_normal((3, 2))
    fam = co.LeastSquaresFamily(2, [0, 1], A=A, b=b)
    p = co.compose(co.relation("(x, y) :- f(x, y), g(x, y), h(x, y)"), fam.problems())
    y = rng.standard_normal(p.n)
    before = p.gradient(y)
    b[:] = 0.0  # the caller's array
    np.testing.assert_array_equal(p.gradient(y), before)
    with pytest.raises(ValueError, match="read-only"):
        fam.data["b"][:] = 1.0
    P = p.program
    generic = Program(P.n, P.leaves, P.leaf_names, P.index, P.ring, compile=False)
    np.testing.assert_allclose(generic.value_and_grad(y)[1], before, atol=1e-12)
