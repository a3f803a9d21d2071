"""The MPI engine against the local one: equal results on random composites built from
closures, a failing or killed rank ends the run with an error naming it, resume on MPI."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest

import catopt as co
from catopt.engines.plan import compile_plan
from tests.helpers.mpi import chain as _chain
from tests.helpers.mpi import have_mpiexec, start_script, wait_for
from tests.strategies import fill, random_diagram

pytestmark = [
    pytest.mark.mpi,
    pytest.mark.skipif(not have_mpiexec(), reason="Open MPI (mpiexec) not installed"),
]
pytest.importorskip("mpi4py")
pytest.importorskip("cloudpickle")


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.parametrize("seed", [11, 12])
def test_mpi_equals_local_on_random_composites(seed) -> None:
    rng = np.random.default_rng(seed)
    inst = fill(rng, random_diagram(rng, max_boxes=5), pd=True)  # closures over random data
    c = co.compose(inst.d, inst.problems)
    x0 = rng.standard_normal(c.n)
    loc = co.solve(c, x0=x0, step=0.01, steps=40)
    mpi = co.solve(c, x0=x0, step=0.01, steps=40, engine="mpi", workers=3)
    assert _rel(mpi.x, loc.x) <= 1e-12
    np.testing.assert_allclose(mpi.history, loc.history, rtol=1e-12)
    assert mpi.iterations == loc.iterations and mpi.engine == "mpi"


@pytest.mark.parametrize("reduction", ["allreduce", "neighbor"])
def test_mpi_equals_local_with_shared_junctions(reduction) -> None:
    c = _chain(6, 3)
    x0 = np.random.default_rng(0).standard_normal(c.n)
    loc = co.solve(c, x0=x0, step=0.02, steps=60, tol=1e-9)
    mpi = co.solve(c, x0=x0, step=0.02, steps=60, tol=1e-9, engine="mpi", workers=3,
                   reduction=reduction)
    assert _rel(mpi.x, loc.x) <= 1e-12
    # objectives are summed in block order on every engine: the histories agree exactly
    assert np.array_equal(mpi.history, loc.history)
    if reduction == "neighbor":  # raw contributions added in block order: bitwise equal
        assert np.array_equal(mpi.x, loc.x)
    st = mpi.stats
    plan = compile_plan(c, 3)
    assert st["reduction"] == reduction and st["shared_coordinates"] == plan.shared.size > 0
    # payload recount: which block coordinates each worker reads, straight from the wiring
    reads = [{int(c.gather_index[s]) for b in np.flatnonzero(plan.part == r)
              for s in range(c.block_offsets[b], c.block_offsets[b + 1])} for r in range(3)]
    if reduction == "allreduce":
        grad = 8 * plan.shared.size * sum(bool(reads[r] & set(plan.shared.tolist()))
                                          for r in range(3))
    else:  # each block coordinate read by another worker is sent to that worker
        grad = 8 * sum(int(c.gather_index[s]) in reads[q]
                       for r in range(3) for q in range(3) if q != r
                       for b in np.flatnonzero(plan.part == r)
                       for s in range(c.block_offsets[b], c.block_offsets[b + 1]))
    # each rank adds 5 floats to the leaf values: the squared norm of its owned field, its
    # largest entry and scaled squared norm (for norms beyond the squares' range), and two flags
    assert st["bytes_per_step"] == grad + 8 * (len(c.blocks) + 5 * 3)
    assert st["compute_seconds"].shape == (3, mpi.iterations + 1)
    assert st["comm_seconds"].shape == (3, mpi.iterations + 1)


def test_sync_every_is_exact_without_shared_coordinates() -> None:
    # three disconnected pairs of boxes on three workers: no junction crosses workers, so
    # local steps between exchanges lose nothing
    d = co.UWD([(f"b{k}", [f"j{k // 2}"]) for k in range(6)], [])
    rng = np.random.default_rng(4)
    ps = []
    for _ in range(6):
        c = rng.standard_normal()
        ps.append(co.OpenProblem(lambda x, c=c: anp.sum((x - c) ** 2), 1, [0]))
    comp = co.compose(d, ps)
    plan = compile_plan(comp, 3)
    assert plan.shared.size == 0
    loc = co.solve(comp, x0=0.0, step=0.05, steps=30)
    mpi = co.solve(comp, x0=0.0, step=0.05, steps=30, engine="mpi", workers=3, sync_every=4)
    assert _rel(mpi.x, loc.x) <= 1e-12


def test_sync_every_trades_accuracy_for_communication() -> None:
    c = _chain(4, 8)
    x0 = np.zeros(c.n)
    exact = co.solve(c, x0=x0, step=0.02, steps=400)
    err = {k: _rel(co.solve(c, x0=x0, step=0.02, steps=400, engine="mpi", workers=2,
                            sync_every=k).x, exact.x) for k in (2, 5)}
    # not gradient descent: each worker drifts towards its own blocks' minimizer between
    # exchanges, so the fixed point is biased, the more so the longer the local phase
    assert 0 < err[2] < err[5] < 0.2


def test_failing_rank_names_rank_boxes_and_cause() -> None:
    def hook(k):
        if k == 4:
            raise RuntimeError("boom in box four")

    c = _chain(6, 5, hook=hook)
    plan = compile_plan(c, 3)
    rank = int(plan.part[c.block_names.index("b4")])
    t0 = time.monotonic()
    with pytest.raises(co.EngineError) as info:
        co.solve(c, x0=0.0, step=0.01, steps=50, engine="mpi", workers=3)
    msg = str(info.value)
    assert f"MPI rank {rank}" in msg and "b4" in msg and "boom in box four" in msg
    assert time.monotonic() - t0 < 30


def test_killed_rank_ends_the_run_with_a_clear_error(tmp_path) -> None:
    marker = tmp_path / "killed"
    calls = {"n": 0}

    def hook(k):
        if k == 2:
            calls["n"] += 1
            if calls["n"] == 20 and not marker.exists():
                marker.write_text("x")
                os.kill(os.getpid(), signal.SIGKILL)

    c = _chain(6, 6, hook=hook)
    plan = compile_plan(c, 3)
    rank = int(plan.part[c.block_names.index("b2")])
    t0 = time.monotonic()
    with pytest.raises(co.EngineError) as info:
        co.solve(c, x0=0.0, step=0.01, steps=10_000, engine="mpi", workers=3,
                 checkpoint=tmp_path / "ck", checkpoint_every=5)
    assert time.monotonic() - t0 < 30
    msg = str(info.value)
    assert f"MPI rank {rank}" in msg and "b2" in msg and "signal 9" in msg
    # the run is resumed from its last checkpoint and ends where an uninterrupted run ends
    resumed = co.solve(c, step=0.01, steps=40, engine="mpi", workers=3,
                       resume=tmp_path / "ck")
    marker.unlink()
    full = co.solve(_chain(6, 6), x0=0.0, step=0.01, steps=40)
    assert _rel(resumed.x, full.x) <= 1e-12
    np.testing.assert_allclose(resumed.history, full.history, rtol=1e-12)


class _Backtracking(co.StepRule):
    """Armijo backtracking: a global rule, which needs the objective at trial points."""

    natural = False

    def __call__(self, t: int) -> float:
        return 1.0

    def step_at(self, t, x, value, grad, objective):
        eta, gg = 1.0, float(grad @ grad)
        while objective(x - eta * grad) > value - 0.5 * eta * gg and eta > 1e-8:
            eta *= 0.5
        return eta


def test_global_step_rule_on_mpi_matches_local() -> None:
    c = _chain(5, 9)
    x0 = np.random.default_rng(2).standard_normal(c.n)
    loc = co.solve(c, x0=x0, step=_Backtracking(), steps=25)
    # neighbour exchange: gradients bitwise equal, so every line-search decision is the same
    mpi = co.solve(c, x0=x0, step=_Backtracking(), steps=25, engine="mpi", workers=2,
                   reduction="neighbor")
    assert _rel(mpi.x, loc.x) <= 1e-12


SPMD_SCRIPT = """
import sys
import numpy as np
import catopt as co
from tests.helpers.mpi import chain as _chain

c = _chain(5, 21)
res = co.solve(c, x0=0.5, step=0.02, steps=30)  # the default engine is mpi here
if res.stats["rank"] == 0:
    np.save(sys.argv[1], res.x)
"""


def test_in_place_under_mpiexec(tmp_path) -> None:
    """``mpiexec -n 2 python script.py``: solve runs SPMD in the existing world."""
    import subprocess
    import sys

    from catopt.engines.mpi_engine import mpiexec_command, rank_environment

    script = tmp_path / "spmd.py"
    script.write_text(SPMD_SCRIPT)
    out = tmp_path / "x.npy"
    subprocess.run(mpiexec_command(2) + [sys.executable, str(script), str(out)], check=True,
                   env=rank_environment(2), timeout=120, capture_output=True)
    local = co.solve(_chain(5, 21), x0=0.5, step=0.02, steps=30)
    assert _rel(np.load(out), local.x) <= 1e-12


def test_local_checkpoint_resumes_on_mpi(tmp_path) -> None:
    c = _chain(5, 13)
    co.solve(c, x0=0.3, step=0.02, steps=15, checkpoint=tmp_path)
    resumed = co.solve(c, step=0.02, steps=35, engine="mpi", workers=2, resume=tmp_path,
                       reduction="neighbor")
    full = co.solve(c, x0=0.3, step=0.02, steps=35)
    assert np.array_equal(resumed.x, full.x)
    assert np.array_equal(resumed.history, full.history)


INTERRUPT_SCRIPT = """
import sys
import catopt as co
from tests.helpers.mpi import chain as _chain
from tests.helpers.mpi import slow_when_asked as _slow_when_asked

try:
    co.solve(_chain(4, 17, hook=_slow_when_asked), x0=0.2, step=0.02, steps=10**7,
             engine="mpi", workers=2, checkpoint=sys.argv[1], checkpoint_every=10)
except co.RunInterrupted as e:
    print("INTERRUPTED", e.iteration, e)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_on_mpi_points_at_the_checkpoint(tmp_path, sig) -> None:
    """Ctrl-C (or SIGTERM) in the launching process stops every rank at one step, where a
    checkpoint gathered from the ranks is saved; the run resumes from it bit for bit."""
    ck = tmp_path / "ck"
    proc = start_script(tmp_path / "interrupt.py", INTERRUPT_SCRIPT, str(ck))
    wait_for(ck / "checkpoint.npz")
    time.sleep(0.3)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert out.startswith("INTERRUPTED"), err
    it = int(out.split()[1])
    assert it >= 10 and f"resume={str(ck)!r}" in out
    assert int(np.load(ck / "checkpoint.npz")["iteration"]) == it  # saved at the interrupt
    assert ("SIGTERM" in out) == (sig == signal.SIGTERM)
    resumed = co.solve(_chain(4, 17), step=0.02, steps=it + 15, engine="mpi", workers=2,
                       resume=ck)
    full = co.solve(_chain(4, 17), x0=0.2, step=0.02, steps=it + 15)
    assert _rel(resumed.x, full.x) <= 1e-12


ORPHAN_SCRIPT = """
import sys, tempfile
import catopt as co
from tests.helpers.mpi import chain as _chain
from tests.helpers.mpi import slow_when_asked as _slow_when_asked
print(tempfile.gettempdir(), flush=True)
co.solve(_chain(4, 17, hook=_slow_when_asked), x0=0.2, step=0.02, steps=10**7,
         engine="mpi", workers=2, checkpoint=sys.argv[1], checkpoint_every=10)
"""


def test_no_rank_outlives_a_killed_launcher(tmp_path) -> None:
    """SIGKILL of the launching process (no handler can run): the ranks notice, end, and the
    job folder is removed; nothing writes checkpoints afterwards."""
    ck = tmp_path / "ck"
    proc = start_script(tmp_path / "orphan.py", ORPHAN_SCRIPT, str(ck))
    wait_for(ck / "checkpoint.npz")
    jobs = [p for p in Path(proc.stdout.readline().strip()).glob("catopt-mpi-*")
            if (p / "pid.0").exists() and (p / "pid.1").exists()]
    ranks = [int((j / f"pid.{r}").read_text()) for j in jobs for r in (0, 1)]
    assert ranks, "the job folder holds the ranks' pids"
    proc.kill()
    proc.wait(timeout=10)

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        with open(f"/proc/{pid}/stat") as fh:  # a zombie waits for its parent to reap it
            return fh.read().split()[2] != "Z"

    deadline = time.monotonic() + 20
    while any(map(alive, ranks)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(alive, ranks))
    assert not any(j.exists() for j in jobs)
    it = int(np.load(ck / "checkpoint.npz")["iteration"])
    time.sleep(1.0)
    assert int(np.load(ck / "checkpoint.npz")["iteration"]) == it


def test_jax_families_reach_the_ranks_in_float64() -> None:
    # a JAX family is pickled without its compiled functions and rebuilt on each rank, where
    # JAX must compute in float64 as here (float32 would differ by about 1e-7)
    jnp = pytest.importorskip("jax.numpy")
    rng = np.random.default_rng(1)
    N, n = 20, 4
    M = rng.standard_normal((N, n, n))
    fam = co.BoxFamily(lambda x, P, a: 0.5 * x @ P @ x + a @ x + jnp.sum(jnp.sin(x)), n,
                       ports=[0, 1], backend="jax",
                       data={"P": np.einsum("bij,bkj->bik", M, M) / n + np.eye(n),
                             "a": rng.standard_normal((N, n))})
    b = co.UWDBuilder()
    for i in range(N):
        b.box(f"b{i}", [f"j{int(j)}" for j in rng.choice(15, 2, replace=False)])
    c = co.fuse_families(co.compose(b.build(), fam.problems()))
    local = co.solve(c, 0.5, step=0.05, steps=50)
    mpi = co.solve(c, 0.5, step=0.05, steps=50, engine="mpi", workers=2)
    assert _rel(mpi.x, local.x) < 1e-12


def test_a_resume_reuses_the_recorded_reduction_bit_for_bit(tmp_path) -> None:
    """The reduction mode is recorded with the checkpoint; resuming with reduction='auto'
    takes it, so the resumed run equals the uninterrupted one exactly."""
    c = _chain(4, 17)
    first = co.solve(c, x0=0.2, step=0.02, steps=10, engine="mpi", workers=2,
                     reduction="allreduce", checkpoint=tmp_path)
    assert first.stats["reduction"] == "allreduce"
    resumed = co.solve(c, step=0.02, steps=25, engine="mpi", workers=2, resume=tmp_path)
    straight = co.solve(c, x0=0.2, step=0.02, steps=25, engine="mpi", workers=2,
                        reduction="allreduce")
    assert resumed.stats["reduction"] == "allreduce"
    np.testing.assert_array_equal(resumed.x, straight.x)
    np.testing.assert_array_equal(resumed.history, straight.history)


STOP_SCRIPT = """
import sys
import catopt as co
from tests.helpers.mpi import chain as _chain
from tests.helpers.mpi import slow_when_asked as _slow_when_asked
try:
    co.solve(_chain(4, 17, hook=_slow_when_asked), x0=0.2, step=0.02, steps=10**7,
             engine="mpi", workers=2)
except co.EngineError as e:
    print("ENGINE", e)
"""


def test_a_stopped_rank_is_reported_and_the_run_ended(tmp_path) -> None:
    proc = start_script(tmp_path / "stop.py", STOP_SCRIPT)
    import glob
    import tempfile

    deadline = time.monotonic() + 60
    pids: list[Path] = []
    while not pids and time.monotonic() < deadline:
        time.sleep(0.2)
        pids = [Path(p) for p in glob.glob(f"{tempfile.gettempdir()}/catopt-mpi-*/pid.1")
                if os.path.getmtime(p) > time.time() - 60]
    assert pids
    rank1 = int(pids[-1].read_text())
    time.sleep(1.0)
    os.kill(rank1, signal.SIGSTOP)
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        with __import__("contextlib").suppress(ProcessLookupError):
            os.kill(rank1, signal.SIGCONT)
            os.kill(rank1, signal.SIGKILL)
    assert out.startswith("ENGINE MPI rank 1 (boxes "), (out, err)
    assert "was stopped" in out


def test_huge_finite_gradients_are_finite_on_mpi_too() -> None:
    """|g| = sqrt(2) 1e200 per box: the squares overflow on every rank, the norm does not;
    the MPI run takes its steps and reports the norm the local engine reports."""
    d = co.relation("(x, y) :- f(x), g(y)")
    box = co.OpenProblem(lambda x: 1e200 * anp.sum(x), 2, ports=[0])
    c = co.compose(d, [box, box])
    local = co.solve(c, np.zeros(c.n), step=1e-300, steps=3)
    mpi = co.solve(c, np.zeros(c.n), step=1e-300, steps=3, engine="mpi", workers=2)
    assert mpi.iterations == local.iterations == 3
    np.testing.assert_allclose(mpi.grad_norms, local.grad_norms, rtol=1e-12)
    np.testing.assert_allclose(local.grad_norms, 2e200, rtol=1e-12)
