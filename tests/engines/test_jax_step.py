"""The jitted JAX path gives the composite's exact value and gradient."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest

import catopt as co

jnp = pytest.importorskip("jax.numpy")

from catopt.engines.jax_step import jax_step  # noqa: E402


def test_jax_step_equals_the_composite() -> None:
    rng = np.random.default_rng(0)
    N, n = 30, 4
    P = rng.standard_normal((N, n, n))
    a = rng.standard_normal((N, n))
    fam = co.BoxFamily(lambda X, P, a: anp.sum(anp.tanh(anp.einsum("bij,bj->bi", P, X)), 1)
                       + anp.sum(a * X, 1), n, ports=[0, 1], data={"P": P, "a": a}, name="f")
    b = co.UWDBuilder()
    for i in range(N):
        b.box(f"b{i}", [f"j{int(rng.integers(10))}", f"j{int(rng.integers(10))}"])
    other = co.BoxFamily(lambda X, w: anp.sum(w[:, None] * X**2, 1), 1, ports=[0],
                         data={"w": np.arange(1.0, 4.0)}, name="g")
    for i in range(3):
        b.box(f"r{i}", [f"j{i}"])
    c = co.fuse_families(co.compose(b.build(), fam.problems() + other.problems()))
    step = jax_step(c, {"f": lambda x, P, a: jnp.sum(jnp.tanh(P @ x)) + a @ x,
                        "g": lambda x, w: w * jnp.sum(x**2)})
    y = rng.standard_normal(c.n)
    v, g = step(y)
    v_ref, g_ref = c.value_and_grad(y)
    assert v == pytest.approx(v_ref, rel=1e-12)
    np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-12)
    # hand-written per-box gradients give the same numbers (and a wrong one is caught)
    objs = {"f": lambda x, P, a: jnp.sum(jnp.tanh(P @ x)) + a @ x,
            "g": lambda x, w: w * jnp.sum(x**2)}
    hand = {"f": lambda x, P, a: P.T @ (1 - jnp.tanh(P @ x) ** 2) + a,
            "g": lambda x, w: 2 * w * x}
    v2, g2 = jax_step(c, objs, hand)(y)
    assert v2 == pytest.approx(v_ref, rel=1e-12)
    np.testing.assert_allclose(g2, g_ref, rtol=1e-12, atol=1e-12)
    wrong = dict(hand, g=lambda x, w: w * x)
    assert not np.allclose(jax_step(c, objs, wrong)(y)[1], g_ref)
    with pytest.raises(co.CompositionError, match="no JAX gradient given for family 'g'"):
        jax_step(c, objs, {"f": hand["f"]})


def test_jax_step_with_hand_written_gradients() -> None:
    rng = np.random.default_rng(1)
    N, n = 12, 3
    M = rng.standard_normal((N, n, n))
    P = M + M.transpose(0, 2, 1)
    fam = co.BoxFamily(lambda X, P: 0.5 * anp.einsum("bi,bij,bj->b", X, P, X), n,
                       ports=[0], data={"P": P}, name="q")
    b = co.UWDBuilder()
    for i in range(N):
        b.box(f"b{i}", [f"j{i % 4}"])
    c = co.fuse_families(co.compose(b.build(), fam.problems()))
    step = jax_step(c, lambda x, P: 0.5 * x @ P @ x, grads=lambda x, P: P @ x)
    y = rng.standard_normal(c.n)
    v, g = step(y)
    v_ref, g_ref = c.value_and_grad(y)
    assert v == pytest.approx(v_ref, rel=1e-12)
    np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-12)


def test_jax_step_needs_families() -> None:
    c = co.compose(co.relation("(x,) :- f(x)"), [co.OpenProblem(lambda x: x[0] ** 2, 1, [0])])
    with pytest.raises(co.CompositionError, match="is not one"):
        jax_step(c, lambda x: x)
