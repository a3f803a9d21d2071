"""The DLGN example: a linearly gated network fits the checkerboard, trained as data-parallel
boxes; its features are intersections of half-spaces."""

from __future__ import annotations

from pathlib import Path

from examples import dlgn


def test_example_claims(tmp_path: Path) -> None:
    out = dlgn.main(["--quick", "--outdir", str(tmp_path)])
    assert out["grad_vs_whole"] < 1e-12  # the composite is the whole-data loss
    assert out["loss_end"] < 1e-2 * out["loss_start"]
    # training accuracy with the gates it was trained with, and with hard gates (the
    # half-space features read off exactly); held-out well above the majority class
    assert out["train_soft"] >= 0.99
    assert out["train_hard"] >= 0.9
    assert out["test_soft"] >= 0.85 > out["chance"] + 0.2
    if "jax_vs_autograd" in out:
        assert out["jax_vs_autograd"] < 1e-9  # Adam divides by sqrt(v): rounding grows
    for name in ("dlgn_halfspaces.png", "dlgn_features.png"):
        assert (tmp_path / name).stat().st_size > 5000


def test_features_are_half_space_intersections() -> None:
    """With hard gates, f is the sum of the path values over the paths whose two
    half-spaces contain x: recomputed here path by path from the weights."""
    import numpy as np

    rng = np.random.default_rng(3)
    m = 5
    params = [rng.standard_normal(s) for s in dlgn.space(m).values()]
    X = rng.uniform(-1, 1, (50, 2))
    Xt = np.concatenate([X, np.ones((50, 1))], 1)
    g1 = Xt @ params[0].T
    g2 = g1 @ params[1].T
    expected = sum(params[4][j2] * params[3][j2, j1] * params[2][j1]
                   * ((g1[:, j1] > 0) & (g2[:, j2] > 0)) for j1 in range(m) for j2 in range(m))
    assert np.allclose(dlgn.forward(params, X, None, xp=np), expected, atol=1e-12)
    paths = dlgn.path_features(params, X, m * m)
    for j1, j2, value, share in paths:
        assert np.isclose(value, params[4][j2] * params[3][j2, j1] * params[2][j1])
        assert np.isclose(share, np.mean((g1[:, j1] > 0) & (g2[:, j2] > 0)))
    weights = [abs(v) * s for *_, v, s in paths]
    assert weights == sorted(weights, reverse=True)
