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
