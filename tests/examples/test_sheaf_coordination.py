"""The sheaf-coordination MPC example runs with --quick; what it reaches is asserted.

With the reference parameters (rho = 2, 10 ADMM iterations per MPC step, dual restarted each
step) the goals are approached but not met to 1e-3 in these step counts (see the gallery
page); the assertions below are the measured, weaker claims."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("osqp")

from examples import sheaf_coordination as sc  # noqa: E402


def test_example_claims(tmp_path: Path) -> None:
    out = sc.main(["--quick", "--outdir", str(tmp_path)])
    assert out["consensus"]["x_spread"] < 0.1  # x-positions nearly agree
    assert out["consensus"]["final_error"] < out["consensus"]["initial_error"] / 20
    for name in ("stationary formation", "moving formation"):
        assert out[name]["final_error"] < out[name]["initial_error"] / 4, name
    assert (tmp_path / "sheaf_coordination.png").stat().st_size > 10_000
