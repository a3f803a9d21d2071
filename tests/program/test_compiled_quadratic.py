"""Quadratic leaves compiled into one sparse operator: on random composites (families of
quadratic and least-squares boxes, unfused and fused, with shared junctions, repeated ports,
private variables, other boxes and one level of nesting), the compiled program gives the
generic path's value, gradient and field, and its ``H`` is the Hessian recomputed column by
column from the generic gradient. Companions break the assembly (a scatter that assigns
instead of adding, a Hessian that drops shared entries) and the cancellation guard, and show
the same checks fail."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
import catopt.program.quadratic as cq
from catopt.problems.quadratic import LeastSquaresFamily, QuadraticFamily
from catopt.program import Program


def families(rng: np.random.Generator, N: int) -> tuple[LeastSquaresFamily, QuadraticFamily]:
    """A least-squares family (ports a, b of shape (2,), a private p) and a quadratic one
    (one port of shape (2,) exposed twice: a non-injective portmap), ``N`` boxes each."""
    W = None
    if rng.random() < 0.5:
        M = rng.standard_normal((3, 3))
        W = M @ M.T + np.eye(3)
    ls = LeastSquaresFamily({"a": (2,), "b": (2,), "p": (1,)}, ["a", "b"],
                            A=rng.standard_normal((N, 3, 5)), b=rng.standard_normal((N, 3)),
                            weight=W, name="ls")
    qf = QuadraticFamily({"u": (2,), "w": (1,)}, ["u", "u"], Q=rng.standard_normal((N, 3, 3)),
                         q=rng.standard_normal((N, 3)), r=rng.standard_normal(N), name="qf")
    return ls, qf


def quartic(k: int) -> co.OpenProblem:
    return co.OpenProblem(lambda v, k=k: 0.1 * anp.sum(v**4) + 0.01 * k * anp.sum(v),
                          {"v": (2,)}, ["v"], name=f"g{k}")


def random_composite(seed: int, fuse: bool, others: bool, nest: bool) -> co.OpenProblem:
    rng = np.random.default_rng(seed)
    N = int(rng.integers(1, 7))
    nj = int(rng.integers(1, 6))
    ls, qf = families(rng, N)
    fillers = [("ls", p) for p in ls.problems()] + [("qf", p) for p in qf.problems()]
    if others:
        fillers += [("g", quartic(k)) for k in range(int(rng.integers(1, 3)))]
    order = rng.permutation(len(fillers)) if rng.random() < 0.5 else np.arange(len(fillers))
    b = co.UWDBuilder()
    for j in range(nj):
        b.junction(f"j{j}", (2,))
    chosen = []
    for i in order:
        kind, p = fillers[int(i)]
        k = 2 if kind in ("ls", "qf") else 1
        b.box(f"b{i}", [f"j{int(rng.integers(nj))}" for _ in range(k)])
        chosen.append(p)
    b.outer("j0")
    c = co.compose(b.build(), chosen)
    if nest:  # the composite as one box of another diagram, beside one more least-squares box
        outer = co.UWDBuilder()
        outer.junction("x", (2,))
        outer.junction("y", (2,))
        outer.box("inner", ["x"])
        outer.box("extra", ["x", "y"])
        c = co.compose(outer.build(), [c, ls.problems()[0]])
    return co.fuse_families(c) if fuse else c


def generic(program: Program) -> Program:
    return Program(program.n, program.leaves, program.leaf_names, program.index,
                   program.ring, compile=False)


def worst(problem: co.OpenProblem, y: np.ndarray) -> float:
    """The largest relative difference between the compiled program and the generic path:
    value, gradient, value alone, and the gradient flow's field."""
    P = problem.program
    assert P.compiled is not None
    v, g = P.value_and_grad(y)
    v0, g0 = generic(P).value_and_grad(y)
    scale = 1.0 + abs(v0) + float(np.max(np.abs(g0), initial=0.0))
    F = co.gradient_flow(problem).program
    assert F.compiled is not None and F.compiled.sign == -1.0
    fv, f = F.value_and_field(y)
    return max(abs(v - v0), float(np.max(np.abs(g - g0), initial=0.0)),
               abs(P.value(y) - v0), abs(fv - v0),
               float(np.max(np.abs(f + g0), initial=0.0))) / scale


@given(st.integers(0, 2**32 - 1), st.booleans(), st.booleans(), st.booleans())
def test_the_compiled_program_is_the_generic_one(seed: int, fuse: bool, others: bool,
                                                 nest: bool) -> None:
    c = random_composite(seed, fuse, others, nest)
    y = np.random.default_rng(seed + 1).standard_normal(c.n)
    assert worst(c, y) < 1e-12
    assert (c.program.compiled.rest is not None) == others  # type: ignore[union-attr]


@given(st.integers(0, 2**32 - 1), st.booleans())
def test_h_is_the_hessian_column_by_column(seed: int, nest: bool) -> None:
    c = random_composite(seed, True, False, nest)
    q = c.program.compiled
    assert q is not None
    g = generic(c.program)
    g0 = g.value_and_grad(np.zeros(c.n))[1]
    cols = [g.value_and_grad(e)[1] - g0 for e in np.eye(c.n)]
    np.testing.assert_allclose(q.H.toarray(), np.array(cols).T, atol=1e-10)
    np.testing.assert_allclose(q.c, g0, atol=1e-12)
    assert q.r == pytest.approx(g.value(np.zeros(c.n)), abs=1e-12)


def broken_scatter(n, index, forms):
    H, c, r = cq_assemble(n, index, forms)
    c = np.zeros(n)
    for off, f in forms:  # assigns each block's q: shared coordinates keep only one
        c[index[off:off + f.q.size]] = f.q
    return H, c, r


def dropped_duplicates(n, index, forms):
    import scipy.sparse as sp

    H, c, r = cq_assemble(n, index, forms)
    A = H.tocoo()
    rows, cols, vals = [], [], []
    for off, f in forms:  # each block's entries written over, not added
        k, m, _ = f.Q.shape
        idx = index[off:off + k * m].reshape(k, m)
        rows.append(np.repeat(idx, m, axis=1).ravel())
        cols.append(np.tile(idx, (1, m)).ravel())
        vals.append(f.Q.ravel())
    D = np.zeros(A.shape)
    D[np.concatenate(rows), np.concatenate(cols)] = np.concatenate(vals)
    return sp.csr_matrix(D), c, r


cq_assemble = cq.assemble


@pytest.mark.parametrize("broken", [broken_scatter, dropped_duplicates])
def test_a_broken_assembly_is_caught(monkeypatch, broken) -> None:
    caught = 0
    for seed in range(20):
        c = random_composite(seed, True, True, False)
        y = np.random.default_rng(seed).standard_normal(c.n)
        assert worst(c, y) < 1e-12
        with monkeypatch.context() as m:
            m.setattr(cq, "assemble", broken)
            c2 = random_composite(seed, True, True, False)
            caught += worst(c2, y) > 1e-6
    assert caught >= 10


def consistent(seed: int) -> tuple[co.OpenProblem, np.ndarray]:
    """Least-squares boxes whose residuals all vanish at ``x_star``."""
    rng = np.random.default_rng(seed)
    N, nj = 40, 12
    A = rng.standard_normal((N, 3, 4))
    ports = [rng.choice(nj, 2, replace=False) for _ in range(N)]
    x_star = rng.standard_normal(2 * nj) * 100
    b = np.array([A[i] @ np.concatenate([x_star[2 * u:2 * u + 2] for u in ports[i]])
                  for i in range(N)])
    fam = LeastSquaresFamily({"a": (2,), "b": (2,)}, ["a", "b"], A=A, b=b)
    d = co.UWDBuilder()
    for j in range(nj):
        d.junction(f"j{j}", (2,))
    for i in range(N):
        d.box(f"e{i}", [f"j{u}" for u in ports[i]])
    return co.fuse_families(co.compose(d.build(), fam.problems())), x_star


def test_values_near_a_zero_residual_are_exact(monkeypatch) -> None:
    c, x_star = consistent(0)
    y = x_star + 1e-9 * np.random.default_rng(1).standard_normal(len(x_star))
    exact = generic(c.program).value(y)  # through the residuals: 1/2 |r|^2, about 1e-16
    assert 0 < exact < 1e-12
    assert c.program.value_and_grad(y)[0] == pytest.approx(exact, rel=1e-9)
    # the companion: without the guard the expanded form is noise of size eps * |b|^2
    monkeypatch.setattr(cq, "RELATIVE", 0.0)
    c2, _ = consistent(0)
    v = c2.program.value_and_grad(y)[0]
    assert abs(v - exact) > 1e3 * exact


def test_solve_on_a_compiled_composite_is_gradient_descent() -> None:
    c = random_composite(7, True, True, True)
    x0 = np.random.default_rng(2).standard_normal(c.n)
    g = generic(c.program)
    x = x0.copy()
    values = []
    for _ in range(20):
        v, grad = g.value_and_grad(x)
        values.append(v)
        x = x - 0.01 * grad
    values.append(g.value(x))
    r = co.solve(c, x0, step=0.01, steps=20)
    np.testing.assert_allclose(r.x, x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.history, values, rtol=1e-12, atol=1e-12)


def test_only_quadratic_leaves_of_one_sign_are_compiled() -> None:
    c = random_composite(3, True, True, False)
    P = c.program
    q = P.compiled
    assert q is not None and q.rest is not None
    names = set(q.rest.leaf_names)
    assert names and all(n.startswith("b") and "ls" not in n for n in names)
    assert co.OpenProblem(lambda x: anp.sum(x**2), 2).program.compiled is None
