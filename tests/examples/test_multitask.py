"""The multitask example: distributed equals central, and sharing generalizes better."""

from __future__ import annotations

from pathlib import Path

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
