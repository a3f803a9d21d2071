"""The command line: every command, its outputs, and clean errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import catopt as co
from catopt.interfaces.cli import main
from tests.helpers.graphviz import needs_dot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_version_and_help(runner: CliRunner) -> None:
    assert co.__version__ in runner.invoke(main, ["--version"]).output
    for cmd in ([], ["draw"], ["run"], ["check"], ["info"], ["examples"]):
        res = runner.invoke(main, [*cmd, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output


def test_run_output_is_the_closed_form_minimizer(runner, spec_path, tmp_path,
                                                 three_quadratics) -> None:
    from examples.three_quadratics import linear_solution

    out, plot = tmp_path / "r.json", tmp_path / "loss.png"
    res = runner.invoke(main, ["run", str(spec_path), "--output", str(out), "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert set(data) >= {"x", "objective", "history", "iterations", "converged"}
    assert data["converged"] is True
    exact = linear_solution(three_quadratics)
    comp = three_quadratics["composite"]
    np.testing.assert_allclose([data["x"][lab] for lab in comp.labels], exact, atol=1e-8)
    assert len(data["history"]) == data["iterations"] + 1
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert "converged" in res.output


def test_run_options_override_the_spec(runner, spec_path, tmp_path) -> None:
    out = tmp_path / "r.json"
    res = runner.invoke(main, ["run", str(spec_path), "--steps", "3", "--tol", "0",
                               "--step", "0.05", "-q", "--output", str(out)])
    assert res.exit_code == 0 and res.output == ""
    assert json.loads(out.read_text())["iterations"] == 3


def test_run_forwards_engine_and_checkpoint_options(runner, spec_path, monkeypatch) -> None:
    seen = {}

    def fake_solve(problem, x0=None, **kw):
        seen.update(kw)
        raise co.RunInterrupted("stopped at 7; resume with --resume d", iteration=7)

    monkeypatch.setattr(sys.modules["catopt.engines.solve"], "solve", fake_solve)
    res = runner.invoke(main, ["run", str(spec_path), "--engine", "mpi", "--workers", "3",
                               "--checkpoint", "d", "--checkpoint-every", "5", "--resume", "d"])
    assert res.exit_code == 130 and "resume with" in res.output
    assert seen["engine"] == "mpi" and seen["workers"] == 3
    assert seen["checkpoint"] == "d" and seen["checkpoint_every"] == 5 and seen["resume"] == "d"


def test_check_and_info(runner, spec_path) -> None:
    res = runner.invoke(main, ["check", str(spec_path)])
    assert res.exit_code == 0 and "ok: the squares commute" in res.output
    res = runner.invoke(main, ["info", str(spec_path)])
    assert res.exit_code == 0
    assert "w          shape=()       shared by f, g, h" in res.output
    assert "f            n=5      ports=w, x   private=3" in res.output


def test_draw_relation_dot_source(runner, tmp_path) -> None:
    out = tmp_path / "d.dot"
    res = runner.invoke(main, ["draw", "(a, b) :- f(a, c), g(c, b)", "-o", str(out)])
    assert res.exit_code == 0 and "graph uwd" in out.read_text()


@needs_dot
def test_draw_svg_contains_every_name(runner, spec_path, tmp_path) -> None:
    out = tmp_path / "q.svg"
    res = runner.invoke(main, ["draw", str(spec_path), "-o", str(out)])
    assert res.exit_code == 0
    import xml.etree.ElementTree as ET

    texts = {(t.text or "").strip() for t in ET.parse(out).iter("{http://www.w3.org/2000/svg}text")}
    d = co.relation("(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)")  # the spec's relation
    assert set(d.boxes) | set(d.junctions) <= texts, texts  # each name is its own text


def test_bad_spec_value_no_traceback(runner, write_spec) -> None:
    bad = write_spec('relation = "(x,) :- f(x)"\n[boxes.f]\nobjective = "quadratic"\n'
                     'size = "three"\nP = [[1.0]]\na = [0.0]\n')
    res = runner.invoke(main, ["run", str(bad)])
    assert res.exit_code == 1
    assert "key 'size'" in res.output and "Traceback" not in res.output
    proc = subprocess.run([sys.executable, "-m", "catopt", "run", str(bad)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    assert "key 'size'" in proc.stderr and "Traceback" not in proc.stderr


def test_errors_exit_nonzero(runner, tmp_path) -> None:
    for args in (["run", str(tmp_path / "none.toml")], ["draw", "(x :- f", "-o", "a.svg"],
                 ["draw", "nope.toml", "-o", "a.svg"], ["examples", "nope"]):
        res = runner.invoke(main, args)
        assert res.exit_code == 1 and res.output.startswith("error:"), (args, res.output)


def test_examples_list_and_run(runner) -> None:
    res = runner.invoke(main, ["examples"])
    assert res.exit_code == 0 and "three_quadratics" in res.output
    res = runner.invoke(main, ["examples", "three_quadratics", "--quick"])
    assert res.exit_code == 0


def test_version_on_every_command(runner: CliRunner) -> None:
    for cmd in (["draw"], ["run"], ["check"], ["info"], ["examples"]):
        res = runner.invoke(main, [*cmd, "--version"])
        assert res.exit_code == 0 and co.__version__ in res.output, (cmd, res.output)


def test_bad_plot_format_fails_before_the_run(runner, spec_path, tmp_path, monkeypatch) -> None:
    def no_solve(*a, **k):
        raise AssertionError("solve must not run")

    monkeypatch.setattr(sys.modules["catopt.engines.solve"], "solve", no_solve)
    res = runner.invoke(main, ["run", str(spec_path), "--plot", str(tmp_path / "loss.bmp")])
    assert res.exit_code == 1 and "plot format" in res.output and ".png" in res.output


@pytest.mark.parametrize("option", ["--output", "--plot"])
def test_unwritable_output_fails_before_the_run(runner, spec_path, tmp_path, monkeypatch,
                                                option) -> None:
    def no_solve(*a, **k):
        raise AssertionError("solve must not run")

    monkeypatch.setattr(sys.modules["catopt.engines.solve"], "solve", no_solve)
    blocker = tmp_path / "file"
    blocker.write_text("")
    target = str(blocker / "r.png")
    res = runner.invoke(main, ["run", str(spec_path), "-q", option, target])
    assert res.exit_code == 1 and res.output.startswith(f"error: {option} {target!r}")
    assert "cannot write in folder" in res.output
    assert not isinstance(res.exception, OSError)  # handled, not a crash


def test_unwritable_drawing_is_a_message(runner, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = runner.invoke(main, ["draw", "(x,) :- f(x)", "-o", str(blocker / "d.svg")])
    assert res.exit_code == 1 and "cannot write in folder" in res.output


def test_a_folder_is_not_relation_text(runner, tmp_path) -> None:
    res = runner.invoke(main, ["draw", str(tmp_path), "-o", str(tmp_path / "d.svg")])
    assert res.exit_code == 1 and "is a folder" in res.output


def test_a_diverging_run_is_one_clean_message(spec_path, tmp_path) -> None:
    """Too large a step: the error and its hint, without numpy's overflow warnings."""
    proc = subprocess.run([sys.executable, "-m", "catopt", "run", str(spec_path), "-q",
                           "--step", "10", "--steps", "200"], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1 and proc.stderr.startswith("error: "), proc.stderr
    assert "not finite" in proc.stderr and "try a step below" in proc.stderr
    assert "Warning" not in proc.stderr and "Traceback" not in proc.stderr


def test_keyboard_interrupt_exits_130(runner, spec_path, monkeypatch) -> None:
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["catopt.engines.solve"], "solve", interrupted)
    res = runner.invoke(main, ["run", str(spec_path), "-q"])
    assert res.exit_code == 130 and "interrupted" in res.output


def test_quiet_turns_the_progress_bar_off(runner, spec_path, monkeypatch) -> None:
    seen = []
    real = sys.modules["catopt.engines.solve"].solve

    def spy(problem, x0=None, **kw):
        seen.append(kw["progress"])
        return real(problem, x0, **{**kw, "steps": 2})

    monkeypatch.setattr(sys.modules["catopt.engines.solve"], "solve", spy)
    assert runner.invoke(main, ["run", str(spec_path), "-q"]).exit_code == 0
    assert runner.invoke(main, ["run", str(spec_path)]).exit_code == 0
    assert seen == [False, None]  # None: a bar only on an interactive terminal outside CI


def test_run_a_spec_with_x0_by_label(runner, write_spec, tmp_path) -> None:
    """x0 as a table by label reaches the run: with steps = 0 the result is x0 itself."""
    path = write_spec('relation = "(x,) :- f(x, y)"\n[boxes.f]\nobjective = "quadratic"\n'
                      'ports = [0, 1]\nP = [[1.0, 0.0], [0.0, 1.0]]\na = [0.0, 1.0]\n'
                      '[solve]\nsteps = 0\nstep = 0.1\nx0 = { x = 2.5, y = -1.0 }\n')
    out = tmp_path / "r.json"
    assert runner.invoke(main, ["run", str(path), "-q", "--output", str(out)]).exit_code == 0
    data = json.loads(out.read_text())
    assert data["x"] == {"x": 2.5, "y": -1.0}
    assert data["objective"] == pytest.approx(2.5**2 + 1.0 - 1.0)


def test_examples_folder_missing_is_said_clearly(runner, monkeypatch, tmp_path) -> None:
    import catopt.interfaces.cli as cli

    monkeypatch.setattr(cli, "EXAMPLES_DIR", tmp_path / "nowhere")
    res = runner.invoke(main, ["examples"])
    assert res.exit_code == 1 and "examples folder was not found" in res.output


def test_draw_a_catlab_json_diagram(runner, tmp_path) -> None:
    d = co.relation("(x,) :- f(x, w), g(w)")
    src = tmp_path / "d.json"
    src.write_text(d.to_json())
    out = tmp_path / "d.dot"
    res = runner.invoke(main, ["draw", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "label=f" in text and "label=g" in text and "jl1 [label=w " in text
    (tmp_path / "bad.json").write_text("{")
    res = runner.invoke(main, ["draw", str(tmp_path / "bad.json"), "-o", str(out)])
    assert res.exit_code == 1 and res.output.startswith("error:")


def test_the_tutorial_spec_runs_to_its_closed_form(runner, tmp_path) -> None:
    """The spec shown in docs/tutorial.md, run through the CLI, reaches the solution of its
    optimality condition (2P + diag(0, 1)) x = (1, 3), solved here independently."""
    import re

    text = (ROOT / "docs" / "tutorial.md").read_text()
    (toml,) = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    spec = tmp_path / "problem.toml"
    spec.write_text(toml)
    out = tmp_path / "result.json"
    res = runner.invoke(main, ["run", str(spec), "-q", "--output", str(out)])
    assert res.exit_code == 0, res.output
    P = np.array([[2.0, 0.5], [0.5, 1.0]])
    exact = np.linalg.solve(2 * P + np.diag([0.0, 1.0]), [1.0, 3.0])
    data = json.loads(out.read_text())
    np.testing.assert_allclose([data["x"]["a"], data["x"]["b"]], exact, atol=1e-8)
    assert data["converged"] is True
