"""Reverse-derivative axioms on random instances, for every backend: additivity in the
second argument (RD.1) and the chain rule (RD.5), R[f;g](x, dz) = R[f](x, R[g](f(x), dz))."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt.backends import get_backend
from catopt.backends.manual import ManualBackend
from tests.strategies import seeds


def _maps(rng):
    A = rng.standard_normal((3, 4))
    B = rng.standard_normal((2, 3))
    return A, B


def _check_axioms(R_f, R_g, R_fg, f, rng) -> None:
    x = rng.standard_normal(4)
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(R_f(x, a + b), R_f(x, a) + R_f(x, b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(R_f(x, np.zeros(3)), 0.0, atol=1e-14)
    dz = rng.standard_normal(2)
    np.testing.assert_allclose(R_fg(x, dz), R_f(x, R_g(f(x), dz)), rtol=1e-10, atol=1e-12)


@given(seeds)
def test_autograd_axioms(seed: int) -> None:
    rng = np.random.default_rng(seed)
    A, B = _maps(rng)
    f = lambda x: anp.tanh(anp.dot(A, x))  # noqa: E731
    g = lambda y: anp.sin(anp.dot(B, y)) * anp.dot(B, y)  # noqa: E731
    be = get_backend("autograd")
    _check_axioms(be.reverse_derivative(f), be.reverse_derivative(g),
                  be.reverse_derivative(lambda x: g(f(x))), f, rng)


@given(seeds)
def test_manual_axioms_and_linear_closed_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    A, B = _maps(rng)
    mf = ManualBackend(reverse=lambda x, dy: A.T @ dy)
    mg = ManualBackend(reverse=lambda y, dz: B.T @ dz)
    mfg = ManualBackend(reverse=lambda x, dz: (B @ A).T @ dz)
    f = lambda x: A @ x  # noqa: E731
    _check_axioms(mf.reverse_derivative(f), mg.reverse_derivative(None),
                  mfg.reverse_derivative(None), f, rng)


def test_manual_needs_something() -> None:
    with pytest.raises(co.BackendError, match="grad= or reverse="):
        ManualBackend()
    with pytest.raises(co.BackendError, match="give reverse="):
        ManualBackend(grad=lambda x: x).reverse_derivative(lambda x: x)
    with pytest.raises(co.BackendError, match="grad= must be callable, got ndarray"):
        ManualBackend(grad=np.zeros(2))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["torch", "jax"])
def test_optional_backend_axioms_and_square(name: str) -> None:
    lib = pytest.importorskip(name)
    be = get_backend(name)
    rng = np.random.default_rng(0)
    A, B = _maps(rng)
    if name == "torch":
        At, Bt = lib.as_tensor(A), lib.as_tensor(B)
        f = lambda x: lib.tanh(At @ x)  # noqa: E731
        g = lambda y: lib.sin(Bt @ y) * (Bt @ y)  # noqa: E731
        f_np = lambda x: np.tanh(A @ x)  # noqa: E731
        obj = lambda x: lib.sum(lib.tanh(At @ x) ** 2)  # noqa: E731
    else:
        import jax.numpy as jnp

        f = lambda x: jnp.tanh(A @ x)  # noqa: E731
        g = lambda y: jnp.sin(B @ y) * (B @ y)  # noqa: E731
        f_np = lambda x: np.tanh(A @ x)  # noqa: E731
        obj = lambda x: jnp.sum(jnp.tanh(A @ x) ** 2)  # noqa: E731
    _check_axioms(be.reverse_derivative(f), be.reverse_derivative(g),
                  be.reverse_derivative(lambda x: g(f(x))), f_np, rng)
    # the same objective on the autograd backend gives the same gradient, and the square holds
    ref = co.OpenProblem(lambda x: anp.sum(anp.tanh(anp.dot(A, x)) ** 2), 4, ports=[0, 1])
    p = co.OpenProblem(obj, 4, ports=[0, 1], backend=name)
    x = rng.standard_normal(4)
    np.testing.assert_allclose(p.gradient(x), ref.gradient(x), rtol=1e-10)
    d = co.relation("(a,) :- P(a, b), Q(b, a)")
    y = rng.standard_normal(co.compose(d, [p, p]).n)
    left = co.gradient_flow(co.compose(d, [p, p])).vector_field(y)
    right = co.compose(d, [co.gradient_flow(p)] * 2).vector_field(y)
    np.testing.assert_allclose(left, right, rtol=1e-12)


@given(st.integers(1, 5))
def test_unavailable_backend_message(k: int) -> None:
    with pytest.raises(co.BackendError, match="unknown backend"):
        get_backend(f"nope{k}")
