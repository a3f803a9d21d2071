"""The two-layer linear network example: its claims, asserted."""

from __future__ import annotations

import numpy as np
import pytest

import catopt as co
from catopt.functor.xu_step import XuAdaptiveStep, XuLocalStep, xu_constants
from examples import two_layer_linear as tl


def test_example_claims(tmp_path, capsys) -> None:
    out = tl.main(["--quick", "--outdir", str(tmp_path)])
    imb = out["imbalance"]
    assert imb["flow_drift"] < 1e-8 < imb["flow_loss_drop"]       # conserved by the flow
    assert abs(imb["ratio"] - 4.0) < 1e-6                          # O(eta^2) per GD step
    assert imb["closed_form_error"] < 1e-12                        # exactly eta^2 (G1'G1 - G2G2')
    ad = out["adaptive"]
    assert ad["bound_ok"]                                          # L(t+1) <= f(eta_t, t) L(t)
    assert all(0 < s <= ad["eta_max"] for s in ad["steps"])
    assert ad["r2"] > 0.999 and ad["rate"] < 1                     # linear convergence
    assert ad["rate"] <= ad["f0"]          # at the rate f(eta_t, t) <= f(eta_0, 0) guaranteed
    cert_adaptive, cert_constant = ad["certificate"]
    assert ad["adaptive"][-1] <= cert_adaptive < cert_constant     # the adaptive certificate wins
    assert np.all(np.diff(ad["adaptive"]) < 0)
    # the seed's table, --quick (10 trials instead of 50, the same width 1,000): the issue
    # asks for 1.5 at 50 trials; with 10 trials the standard error of a row's mean is about
    # 0.3-0.4 iterations, so the stated looser tolerance here is 2.5
    tab = out["table"]
    for kind in ("normal", "He", "uniform"):
        assert abs(tab[kind]["over"].mean() - tl.SEED_TABLE[kind][0]) <= 2.5, kind
    for kind in tl.INITS:
        assert np.all(tab[kind]["over"] > 0) and np.all(tab[kind]["plain"] > 0)
        assert abs(tab[kind]["plain"].mean() - tl.SEED_TABLE[kind][1]) <= 2.5, kind
        # GD is slower on the overparametrized model (the seed's table, Proposition 3.1)
        assert tab[kind]["over"].mean() > tab[kind]["plain"].mean(), kind
        # the previous protocol (1/L_hat at width 200) is 2-4x slower than the paper's
        assert out["current"][kind]["over"].mean() > tab[kind]["over"].mean() - 3, kind
    # the adaptive step of Theorem 3.1: hundreds of iterations where it gets there at all
    for kind in ("normal", "NTK", "He", "uniform"):
        ad = tab[kind]["adaptive"]
        assert np.all(ad >= 100) and ad.mean() > 20 * tab[kind]["over"].mean(), kind
    assert np.all(tab["xavier"]["adaptive"] == -1)          # alpha0 / beta0 is tiny there
    assert out["table_seconds"] < 60
    assert out["data_parallel"]["max_diff"] < 1e-10 and out["data_parallel"]["labels_equal"]
    for name in ("two_layer_linear.png", "two_layer_linear_uwd.svg"):
        assert (tmp_path / name).stat().st_size > 500
    text = capsys.readouterr().out
    rows = [line.split("|")[0].strip() for line in text.splitlines()
            if line.split("|")[0].strip() in tl.INITS]
    assert rows == list(tl.INITS)                                  # the seed's order


def test_unknown_initialization() -> None:
    with pytest.raises(co.CatoptError, match="unknown initialization 'zeros'"):
        tl.init_batch("zeros", 1, 2, 2, 2, np.random.default_rng(0))


def _small(T: int = 3, N: int = 30, n: int = 4, h: int = 40, m: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((T, N, n))
    Y = X @ rng.standard_normal((T, n, m))
    W1, W2 = tl.init_batch("He", T, n, h, m, rng)
    return X, Y, W1, W2


def test_reductions_are_exact() -> None:
    """reduce_width keeps W1 W2, W1 W1', W2'W2 and the nonzero spectrum of D; reduce_rows
    keeps the loss and the gradient."""
    X, Y, W1, W2 = _small()
    A, B = tl.reduce_width(W1, W2)
    assert A.shape == (3, 4, 7) and B.shape == (3, 7, 3)
    np.testing.assert_allclose(A @ B, W1 @ W2, atol=1e-12)
    np.testing.assert_allclose(A @ np.swapaxes(A, -1, -2), W1 @ np.swapaxes(W1, -1, -2), atol=1e-12)
    np.testing.assert_allclose(np.swapaxes(B, -1, -2) @ B, np.swapaxes(W2, -1, -2) @ W2, atol=1e-12)
    d_full = np.linalg.eigvalsh(np.swapaxes(W1, -1, -2) @ W1 - W2 @ np.swapaxes(W2, -1, -2))
    d_red = np.linalg.eigvalsh(np.swapaxes(A, -1, -2) @ A - B @ np.swapaxes(B, -1, -2))
    np.testing.assert_allclose(np.sort(d_full[np.abs(d_full) > 1e-9]),
                               np.sort(d_red[np.abs(d_red) > 1e-9]), atol=1e-10)
    Yn = Y + 0.1 * np.random.default_rng(1).standard_normal(Y.shape)   # not realizable
    R, Yt, L_star = tl.reduce_rows(X, Yn)
    W = W1 @ W2
    E, Et = Yn - X @ W, Yt - R @ W
    np.testing.assert_allclose(0.5 * np.sum(E**2, axis=(1, 2)),
                               0.5 * np.sum(Et**2, axis=(1, 2)) + L_star, rtol=1e-12)
    np.testing.assert_allclose(np.swapaxes(X, -1, -2) @ E, np.swapaxes(R, -1, -2) @ Et, atol=1e-10)
    for i in range(3):
        c_full = xu_constants(X[i], Yn[i], W1[i], W2[i])
        c_red = xu_constants(R[i], Yt[i], A[i], B[i])
        assert abs(c_full.alpha0 - c_red.alpha0) <= 1e-9 * c_full.alpha0
        assert abs(c_full.beta0 - c_red.beta0) <= 1e-9 * c_full.beta0


def test_batched_local_step_is_catopt_solve_with_the_local_step_rule() -> None:
    """The batched, reduced run counts the same iterations as catopt's solve on the full-width
    network with XuLocalStep (an independent route)."""
    X, Y, W1, W2 = _small()
    A, B = tl.reduce_width(W1, W2)
    R, Yt, L_star = tl.reduce_rows(X, Y)
    hits = tl.run_local_step(R, Yt, A, B, 1e-8 - L_star)
    n, h, m = 4, 40, 3
    for i in range(3):
        p = tl.network(X[i], Y[i], h)
        split = lambda x: (x[: n * h].reshape(n, h), x[n * h:].reshape(h, m))  # noqa: E731
        r = co.solve(p, p.pack({"W1": W1[i], "W2": W2[i]}), step=XuLocalStep(X[i], split),
                     steps=200, tol=0, callback=lambda t, x, f, g: f <= 1e-8)
        assert int(np.nonzero(np.asarray(r.history) <= 1e-8)[0][0]) == hits[i]


def test_vectorized_adaptive_step_is_the_library_rule() -> None:
    X, Y, W1, W2 = _small()
    consts = [xu_constants(X[i], Y[i], W1[i], W2[i]) for i in range(3)]
    params = tl.adaptive_params(consts)
    for L in (consts[0].L0, 1.0, 1e-6, 0.0):
        ours = tl.adaptive_steps(params, np.full(3, L))
        lib = [XuAdaptiveStep(c).step_at(0, np.zeros(1), L + c.L_star, np.zeros(1),
                                         lambda x: 0.0) for c in consts]
        np.testing.assert_allclose(ours, lib, rtol=1e-10)
