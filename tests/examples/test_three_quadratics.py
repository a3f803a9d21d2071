"""The three-quadratics example: central, distributed and exact solutions agree."""

from __future__ import annotations

import numpy as np

from examples import three_quadratics


def test_example_claims(capsys) -> None:
    out = three_quadratics.main(["--quick"])
    assert out["central"].converged
    # exact: a linear solve assembled by hand in the example, independent of catopt's gluing
    np.testing.assert_allclose(out["central"].x, out["exact"], atol=1e-8)
    np.testing.assert_allclose(out["distributed"].x, out["central"].x, atol=1e-12)
    assert out["square"] == 0.0
    assert out["gd_square"] < 1e-12
    text = capsys.readouterr().out
    assert "naturality" in text and "linear solve" in text


def test_build_matches_the_julia_readme() -> None:
    parts = three_quadratics.build()
    comp = parts["composite"]
    assert comp.labels == ("x", "y", "z", "w", "u", "f.0", "f.2", "f.4", "h.1")
    assert parts["problems"]["f"].ports == (1, 3)


def test_default_step_is_stable_and_outdir_writes_figures(tmp_path, capsys) -> None:
    """STEP is below 2/L, L the composite Hessian's largest eigenvalue (assembled densely:
    the gradient is affine, so column i is grad(e_i) - grad(0)) and estimate_curvature's
    value; --outdir writes the diagram and the loss plot."""
    import catopt as co

    comp = three_quadratics.build()["composite"]
    g0 = comp.gradient(np.zeros(comp.n))
    H = np.column_stack([comp.gradient(e) - g0 for e in np.eye(comp.n)])
    L = np.linalg.eigvalsh(H).max()
    assert np.isclose(co.estimate_curvature(comp, np.zeros(comp.n)), L, rtol=1e-4)
    assert three_quadratics.STEP < 2 / L
    three_quadratics.main(["--quick", "--outdir", str(tmp_path)])
    assert (tmp_path / "three_quadratics_uwd.svg").stat().st_size > 500
    assert (tmp_path / "three_quadratics_loss.png").stat().st_size > 5000
