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


def test_objective_gap_to_f_star_is_floored_at_roundoff_not_at_tiny(tmp_path: Path) -> None:
    """A run that reaches the known optimum to roundoff (gap exactly 0) keeps a readable
    axis: the gap's floor is 4 eps |f*|, not 1e-308."""
    p = co.OpenProblem(lambda x: anp.sum((x - 1) ** 2) + 5.0, 2)
    r = co.solve(p, step=0.5, steps=5)  # step 1/L: exact after one step
    fig = r.plot(tmp_path / "r.png", f_star=5.0)
    gap = fig.axes[0].get_lines()[0].get_ydata()
    floor = 4 * np.finfo(float).eps * 5.0
    assert gap.min() == floor and gap[0] == r.history[0] - 5.0
    assert fig.axes[0].get_ylim()[0] > 1e-20
    q = co.OpenProblem(lambda x: anp.sum((x - 1) ** 2), 2)  # f* = 0 exactly
    fig = co.solve(q, step=0.5, steps=3).plot(f_star=0.0)
    assert fig.axes[0].get_lines()[0].get_ydata().min() == 4 * np.finfo(float).eps ** 2 * 2.0


def test_loss_plot_shows_f_not_the_gap_to_the_runs_own_minimum() -> None:
    """A run still descending: the plotted curve ends at f(x_T), not at a plunge to ~0 (what
    f(x_t) - min_t f(x_t) showed); with f_star it ends at f(x_T) - f_star."""
    p = co.OpenProblem(lambda x: anp.sum((x - 1) ** 2) + 3.0, 4)
    r = co.solve(p, step=0.01, steps=40)  # far from converged
    fig = r.plot()
    y = fig.axes[0].get_lines()[0].get_ydata()
    np.testing.assert_array_equal(y, r.history)
    assert y[-1] > 3.0 + 0.5 and np.all(np.diff(y) < 0)
    y = r.plot(f_star=3.0).axes[0].get_lines()[0].get_ydata()
    np.testing.assert_allclose(y, np.asarray(r.history) - 3.0)
    tr = co.simulate(co.gradient_descent(p, 0.01), np.zeros(4), 40)
    np.testing.assert_array_equal(tr.plot().axes[0].get_lines()[0].get_ydata(), tr.objective)


def test_f_star_above_the_run_is_refused() -> None:
    import pytest

    p = co.OpenProblem(lambda x: anp.sum((x - 1) ** 2) + 3.0, 2)
    r = co.solve(p, step=0.5, steps=3)
    with pytest.raises(co.CatoptError, match="f_star"):
        r.plot(f_star=4.0)
    with pytest.raises(co.CatoptError, match="f_star"):
        r.plot(f_star="x")


def test_plotting_never_switches_the_matplotlib_backend(tmp_path: Path) -> None:
    """In a session whose backend is not Agg (Jupyter's inline one, say) and with no DISPLAY,
    plotting and saving keep that backend. Run in a fresh interpreter, so this session's
    backend is left alone."""
    import os
    import subprocess
    import sys

    code = (
        "import matplotlib; matplotlib.use('svg')\n"
        "import numpy as np, autograd.numpy as anp, catopt as co\n"
        "p = co.OpenProblem(lambda x: anp.sum((x - 1) ** 2), 2)\n"
        f"co.solve(p, step=0.1, steps=5).plot({str(tmp_path / 'r.png')!r})\n"
        "co.simulate(co.gradient_descent(p, 0.1), np.zeros(2), 5).plot()\n"
        "print(matplotlib.get_backend())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert out.strip() == "svg"
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")


def test_a_signed_objective_is_drawn_on_a_symlog_scale() -> None:
    p = co.OpenProblem(lambda x: anp.sum((x - 1) ** 2) - 5.0, 2)  # f from -3 down to -5
    fig = co.solve(p, x0=30.0, step=0.1, steps=60).plot()
    assert fig.axes[0].get_yscale() == "symlog"


def test_cli_plot_with_f_star(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from catopt.interfaces.cli import main

    spec = Path(__file__).resolve().parents[2] / "catopt/interfaces/specs/quadratics.toml"
    out = CliRunner().invoke(main, ["run", str(spec), "--quiet", "--plot",
                                    str(tmp_path / "p.png"), "--f-star", "-1.6997619743"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "p.png").stat().st_size > 5000
    out = CliRunner().invoke(main, ["run", str(spec), "--quiet", "--plot",
                                    str(tmp_path / "q.png"), "--f-star", "10"])
    assert out.exit_code == 1 and "not the optimal value" in out.output
