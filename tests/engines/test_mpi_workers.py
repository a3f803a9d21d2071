"""MPI on any worker count: more ranks than leaf boxes leaves the extra ranks idle, in every
reduction mode, with the local engine's result; a rank that stops taking part ends the job
through the watchdog (the timeout path of every collective) instead of hanging."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest

import catopt as co
from tests.helpers.mpi import have_mpiexec

pytestmark = [
    pytest.mark.mpi,
    pytest.mark.skipif(not have_mpiexec(), reason="Open MPI (mpiexec) not installed"),
]
pytest.importorskip("mpi4py")
pytest.importorskip("cloudpickle")

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "catopt" / "interfaces" / "specs" / "quadratics.toml"


@pytest.fixture(scope="module")
def three() -> co.OpenProblem:
    from examples.three_quadratics import build

    return build()["composite"]  # 3 leaf boxes sharing u and w


@pytest.mark.slow
@pytest.mark.parametrize("reduction", ["auto", "allreduce", "neighbor"])
def test_one_to_six_workers_on_three_boxes(three: co.OpenProblem, reduction: str) -> None:
    local = co.solve(three, 1.0, step=0.1, steps=150)
    inexact = {}
    for K in range(1, 7):
        start = time.monotonic()
        r = co.solve(three, 1.0, step=0.1, steps=150, engine="mpi", workers=K,
                     reduction=reduction, timeout=120)
        assert time.monotonic() - start < 120
        assert r.iterations == 150 and r.stats["workers"] == K
        np.testing.assert_allclose(r.x, local.x, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(r.history, local.history, rtol=1e-12)
        if K in (3, 6):  # one box per busy rank: idle ranks change nothing, also with sync_every
            inexact[K] = co.solve(three, 1.0, step=0.1, steps=12, engine="mpi", workers=K,
                                  reduction=reduction, sync_every=3, timeout=120).x
    np.testing.assert_array_equal(inexact[6], inexact[3])


def _sleepy_pair(sleep_at: int, seconds: float) -> co.OpenProblem:
    """Two boxes sharing x; box b sleeps ``seconds`` in its ``sleep_at``-th evaluation (a
    rank that stops taking part in the collectives for that long)."""
    calls = {"n": 0}

    def slow(x):
        calls["n"] += 1
        if calls["n"] == sleep_at:
            time.sleep(seconds)
        return (x[0] - 2.0) ** 2

    a = co.OpenProblem(lambda x: anp.sum((x - 1.0) ** 2), 1, ports=[0], name="a")
    b = co.OpenProblem(slow, 1, ports=[0], name="b")
    return co.compose(co.relation("() :- a(x), b(x)"), {"a": a, "b": b})


def test_a_stalled_collective_ends_the_job_with_a_message() -> None:
    p = _sleepy_pair(sleep_at=5, seconds=30.0)
    start = time.monotonic()
    with pytest.raises(co.EngineError, match=r"waited more than 2 s .*stall_timeout"):
        co.solve(p, 0.0, step=0.1, steps=20, engine="mpi", workers=2, reduction="allreduce",
                 stall_timeout=2)
    assert time.monotonic() - start < 25  # not the 30 s of the stalled rank


def test_a_slow_step_within_the_stall_timeout_is_fine() -> None:
    """The companion: the same pause, shorter than stall_timeout, is waited for."""
    p = _sleepy_pair(sleep_at=5, seconds=1.0)
    r = co.solve(p, 0.0, step=0.1, steps=20, engine="mpi", workers=2, stall_timeout=20)
    local = co.solve(p, 0.0, step=0.1, steps=20)
    np.testing.assert_allclose(r.x, local.x, rtol=1e-12)


def test_stall_timeout_is_checked() -> None:
    p = _sleepy_pair(sleep_at=0, seconds=0.0)
    with pytest.raises(co.CatoptError, match="stall_timeout"):
        co.solve(p, 0.0, step=0.1, steps=2, engine="mpi", workers=2, stall_timeout=-1)


@pytest.mark.slow
def test_cli_run_on_four_workers_matches_the_local_run(tmp_path: Path) -> None:
    """The README's command: the bundled 3-box spec on 4 MPI workers."""
    def run(*extra: str) -> dict:
        out = tmp_path / f"r{len(extra)}.json"
        subprocess.run([sys.executable, "-m", "catopt", "run", str(SPEC), "--output", str(out),
                        "--quiet", *extra], check=True, timeout=300, cwd=tmp_path)
        return json.loads(out.read_text())

    local, mpi = run(), run("--engine", "mpi", "--workers", "4")
    assert local["converged"] and mpi["converged"]
    assert mpi["iterations"] == local["iterations"]
    for k, v in local["x"].items():
        assert np.isclose(mpi["x"][k], v, rtol=1e-12, atol=1e-12), k
