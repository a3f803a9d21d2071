"""Plots: real PNG files from results and trajectories."""

from __future__ import annotations

from pathlib import Path

import autograd.numpy as anp
import numpy as np

import catopt as co


def test_result_and_trajectory_plots(tmp_path: Path) -> None:
    p = co.OpenProblem(lambda x: anp.sum((x - 1) ** 2), 2)
    r = co.solve(p, step=0.1, steps=50)
    fig = r.plot(tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "log"
    tr = co.simulate(co.gradient_descent(p, 0.1), np.zeros(2), 20, record_every=5)
    fig = tr.plot(tmp_path / "t.svg", labels=["0"])
    assert (tmp_path / "t.svg").read_text().lstrip().startswith("<?xml")
    assert len(fig.axes[-1].get_lines()) == 1
    flow = co.simulate(co.gradient_flow(p), np.zeros(2), 10, dt=0.1)
    flow.plot(tmp_path / "f.pdf")
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")


def test_objective_gap_is_floored_at_roundoff_not_at_tiny(tmp_path: Path) -> None:
    """A run that reaches its minimum to roundoff (gap exactly 0 at one iterate) keeps a
    readable axis: the gap's floor is 4 eps |min f|, not 1e-308."""
    from catopt.interfaces.plot import _gap

    p = co.OpenProblem(lambda x: anp.sum((x - 1) ** 2) + 5.0, 2)
    r = co.solve(p, step=0.5, steps=5)  # step 1/L: exact after one step
    gap = _gap(r.history)
    floor = 4 * np.finfo(float).eps * 5.0  # min f = 5
    assert gap.min() == floor and gap[0] == r.history[0] - r.history.min()
    fig = r.plot(tmp_path / "r.png")
    assert fig.axes[0].get_ylim()[0] > 1e-20
    q = co.OpenProblem(lambda x: anp.sum((x - 1) ** 2), 2)  # min f = 0 exactly
    gap = _gap(co.solve(q, step=0.5, steps=3).history)
    assert gap.min() == 4 * np.finfo(float).eps ** 2 * 2.0  # eps * max|f|, f(0) = 2
