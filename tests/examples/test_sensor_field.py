"""The sensor-field example: both family paths reach the exact minimizer, which beats the
sensors alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples import sensor_field


def test_example_claims(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    out = sensor_field.main(["--quick", "--outdir", str(tmp_path)])
    assert out["autograd_vs_exact"] < 1e-8  # the normal equations, assembled independently
    assert out["jax_vs_exact"] < 1e-8
    assert out["jax_vs_autograd"] < 1e-12
    assert out["rms_reconstruction"] < 0.5 * out["rms_sensors_alone"]
    assert (tmp_path / "sensor_field.png").stat().st_size > 5000


def test_the_diagram_is_the_grid() -> None:
    G = 5
    d = sensor_field.diagram(G)
    assert len(d.boxes) == (G - 1) ** 2 and len(d.junctions) == G * G
    # an interior grid point is a corner of four cells, a corner point of one
    degree = {j: 0 for j in d.junctions}
    for box in d.boxes:
        for j in d.ports(box):
            degree[j] += 1
    assert degree["u2_2"] == 4 and degree["u0_0"] == 1 and degree["u0_2"] == 2
