"""The network-flow experiment: standard and hierarchical dual decomposition agree at every
point of the (quick) sweeps, and the six panels are drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples import network_flow


def test_quick_sweep(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = network_flow.main(["--quick", "--outdir", str(tmp_path)])
    assert out["max_difference"] <= 1e-12
    for r in out["size"] + out["connectivity"]:
        assert r["nodes"] == 3 * r["n"] - 4  # the paper's composite node count
        assert r["t_std"] > 0 and r["t_hier"] > 0 and r["mem_std"] > 0
    assert (tmp_path / "network_flow.png").stat().st_size > 5000
