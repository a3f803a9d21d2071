"""Every code block of README.md and docs/tutorial.md runs as written.

The blocks are extracted from the files (never copied here). Python blocks of one file run in
order in one namespace, as in one session; ``bash`` blocks run in a fresh shell whose working
folder looks like the repository root (``catopt/``, ``examples/`` and ``.venv`` linked in, so
nothing is written into the checkout), after ``source .venv/bin/activate``; a ``toml`` block of
the tutorial is the ``problem.toml`` its text says to save. The only lines not run are the
``make`` commands themselves (``make test`` inside the tests would recurse; the blocks are run
"after make demo", which set up the environment they use).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(path: Path, lang: str) -> list[str]:
    """The fenced code blocks of ``path`` in language ``lang``, in order."""
    return [code for kind, code in FENCE.findall(path.read_text(encoding="utf-8"))
            if kind == lang]


def run_python_blocks(path: Path) -> dict:
    scope: dict = {"__name__": "__main__"}
    for k, code in enumerate(blocks(path, "python")):
        exec(compile(code, f"{path.name}, python block {k}", "exec"), scope)
    return scope


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that looks like the repository root after ``make demo``, made the working
    folder: the package, the examples and the environment are links into the real one."""
    venv = Path(sys.executable).parents[1]
    assert (venv / "bin" / "activate").exists() and (venv / "bin" / "catopt").exists(), (
        f"the tests' Python ({sys.executable}) is not that of a venv with catopt installed; "
        "run them as make test does, with .venv/bin/python")
    for name in ("catopt", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / ".venv").symlink_to(venv)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_shell_block(code: str, cwd: Path) -> str:
    code = "\n".join(line for line in code.splitlines() if not line.startswith("make "))
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # this checkout's catopt, in every process
    proc = subprocess.run(["bash", "-c", "set -euo pipefail\nsource .venv/bin/activate\n" + code],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{code}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    return proc.stdout


def test_readme_python_blocks_run(checkout: Path) -> None:
    pytest.importorskip("jax")  # the box-family block runs on JAX (setup installs it)
    import catopt as co
    from examples.three_quadratics import build, linear_solution

    readme = ROOT / "README.md"
    assert len(blocks(readme, "python")) == 3
    scope = run_python_blocks(readme)  # the asserts inside must hold
    # the tour: against a linear solve assembled by hand in the example
    parts = build()
    exact = dict(zip(parts["composite"].labels, linear_solution(parts), strict=True))
    tour = scope["result"]
    assert tour.converged
    for label, value in zip(tour.labels, tour.x, strict=True):
        assert np.isclose(value, exact[label], atol=1e-8)
    # the box family on JAX: the local engine's iterates
    local = co.solve(scope["c"], 1.0, step=1e-2, steps=5000)
    assert scope["run"].iterations == 5000
    np.testing.assert_allclose(scope["run"].x, local.x, rtol=1e-10, atol=1e-12)
    # beyond gradient descent: the glued network's LP, solved independently by HiGHS
    from scipy.optimize import linprog

    cost, A = [1.0, 1.0, 3.0, 2.0], np.zeros((4, 4))  # nodes f0, f1, w (= f2 = g0), g1
    for e, (u, v) in enumerate([(0, 1), (1, 2), (0, 2), (2, 3)]):
        A[u, e], A[v, e] = -1.0, 1.0  # inflow minus outflow
    lp = linprog(cost, A_eq=A, b_eq=[-2.0, 0.0, 0.0, 2.0],
                 bounds=[(0, 2), (0, 1), (0, 5), (0, 4)], method="highs")
    assert lp.status == 0 and np.isclose(scope["sol"].cost, lp.fun, atol=1e-6)


@pytest.mark.slow
@pytest.mark.mpi
def test_readme_shell_blocks_run(checkout: Path) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text and "source .venv/bin/activate" in text
    assert "repository root" in text
    shell = blocks(readme, "bash")
    assert len(shell) >= 3
    out = "".join(run_shell_block(code, checkout) for code in shell)
    for name in ("q.svg", "s.png", "result.json", "loss.png"):
        assert (checkout / name).stat().st_size > 500, name
    assert json.loads((checkout / "result.json").read_text())["converged"]
    assert out.count("converged") >= 2  # the local run and the MPI run on 4 workers


def test_tutorial_python_blocks_run(checkout: Path) -> None:
    tutorial = ROOT / "docs" / "tutorial.md"
    assert len(blocks(tutorial, "python")) >= 7
    scope = run_python_blocks(tutorial)
    r = scope["result"]
    assert r.converged and (checkout / "loss.png").exists() and (checkout / "traces.png").exists()
    # section 3's problem by hand: f(a, b) = [a b] P [a b]' - a, g(b) = (b - 3)^2
    P = np.array([[2.0, 0.5], [0.5, 1.0]])
    H = 2 * P + np.diag([0.0, 2.0])
    np.testing.assert_allclose(r.x, np.linalg.solve(H, [1.0, 6.0]), atol=1e-8)
    assert scope["tasks"].n == 8 + 100 * 2 and scope["fit"].x_by_name["W0"].shape == (4, 2)
    assert scope["nested"].labels == ("a", "inner.b")


@pytest.mark.slow
def test_tutorial_spec_and_commands_run(checkout: Path) -> None:
    tutorial = ROOT / "docs" / "tutorial.md"
    (spec,) = blocks(tutorial, "toml")
    assert "problem.toml" in tutorial.read_text(encoding="utf-8")
    (checkout / "problem.toml").write_text(spec)
    for code in blocks(tutorial, "bash"):
        run_shell_block(code, checkout)
    result = json.loads((checkout / "result.json").read_text())
    assert result["converged"]
    # the spec's g is half the Python g: minimize [a b] P [a b]' - a + 1/2 (b - 3)^2
    P = np.array([[2.0, 0.5], [0.5, 1.0]])
    exact = np.linalg.solve(2 * P + np.diag([0.0, 1.0]), [1.0, 3.0])
    np.testing.assert_allclose([result["x"]["a"], result["x"]["b"]], exact, atol=1e-8)
    for name in ("problem.svg", "system.svg", "loss.png"):
        assert (checkout / name).stat().st_size > 500, name
