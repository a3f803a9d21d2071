"""The multitask example: distributed equals central, and sharing generalizes better."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from examples import multitask  # noqa: E402


def test_example_claims(tmp_path: Path, capsys) -> None:
    out = multitask.main(["--quick", "--outdir", str(tmp_path)])
    eq = out["equal"]
    assert eq["distributed_vs_central"] < 1e-12
    assert eq["hand_vs_central"] < 1e-10
    assert eq["paper_construction_equal"] == 1.0
    for key in ("synthetic", "real"):
        r = out[key]
        assert r["multitask"] < r["single"], (key, r)  # related tasks: sharing generalizes
        assert r["soft"] < r["single"], (key, r)
    for name in ("multitask_uwd.svg", "multitask_system.svg", "multitask_loss.png"):
        assert (tmp_path / name).stat().st_size > 500
    text = capsys.readouterr().out
    assert "equals the flat problem" in text and "composing once: equal" in text


def test_the_loss_figure_is_a_converging_run(tmp_path: Path) -> None:
    """The figure's run uses a stable step (below 2 / estimate_curvature at the solution it
    reaches), its loss never rises, and its gradient norm falls by more than 1e3."""
    import catopt as co

    run = multitask.main(["--quick", "--outdir", str(tmp_path)])["loss_run"]
    r, problem, step = run["result"], run["problem"], run["step"]
    assert step == multitask.STEP
    assert step < 2 / co.estimate_curvature(problem, r.x)
    h = np.asarray(r.history)
    assert np.all(np.diff(h) <= 1e-12 * abs(h[0]))
    assert r.grad_norms[0] / r.grad_norms[-1] > 1e3

