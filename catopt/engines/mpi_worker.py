"""The SPMD program every MPI rank runs: distributed gradient descent on an execution plan.

Rank ``r`` holds the coordinates its blocks read, ``x_r = x[coords_r]``. One step is the
distributed algorithm of the gradient functor:

1. each rank evaluates its blocks on ``x_r[gather_r]`` (``phi^* x``) and scatter-adds their
   gradients into its coordinates (its share of ``phi_*``);
2. the shared coordinates' contributions are summed across the ranks that read them (the
   junction reduction: one ``Allreduce`` over the shared-coordinate vector, or neighbour
   collectives on a distributed graph topology, whichever measured faster), and one small
   ``Allgatherv`` of the blocks' values and the owned squared gradient norms gives every rank
   the objective (summed in block order, as the local engine sums it) and the norm;
3. every rank takes the step ``x_r <- x_r - eta_t g_r``; copies of a shared coordinate stay
   equal because every rank sums the contributions in the same order.

With ``sync_every = k > 1`` ranks take k steps on their own blocks and then sum their
increments of the shared coordinates (``y + sum_r (y_r - y)``, the composition rule of discrete
systems): an inexact variant that trades accuracy for communication.

Run as ``python -m catopt.engines.mpi_worker JOBDIR`` under ``mpiexec`` (the launcher in
:mod:`catopt.engines.mpi_engine` does this); a rank that fails writes ``error.<rank>.json`` to
JOBDIR and aborts the whole job.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from catopt.engines.checkpoint import Checkpointer
from catopt.engines.local import stop_reason
from catopt.engines.plan import ExecutionPlan
from catopt.engines.progress import Progress
from catopt.errors import CatoptError, DivergenceError

__all__ = ["spmd_solve", "main", "REDUCTIONS"]

REDUCTIONS = ("auto", "allreduce", "neighbor")


#: exit status of a rank ended by its watchdog (see ``_Watchdog``)
STALL_EXIT = 75
#: the default of ``stall_timeout``: seconds a rank may wait for the others
STALL_TIMEOUT = 600.0


class _Watchdog(threading.Thread):
    """The timeout path of every collective: armed while this rank waits for the others
    (paused while it computes its own blocks), it ends the rank with a message when one wait
    lasts more than ``limit`` seconds, and mpiexec then ends the whole job. Without it a rank
    that stopped taking part in the collectives would leave the others waiting forever."""

    def __init__(self, rank: int, limit: float | None) -> None:
        super().__init__(daemon=True, name=f"catopt-watchdog-{rank}")
        self.rank = rank
        self.limit = limit
        self.since: float | None = None
        self.done = threading.Event()
        if limit is not None:
            self.start()

    def arm(self) -> None:
        self.since = time.monotonic()

    def pause(self) -> None:
        self.since = None

    def stop(self) -> None:
        self.done.set()

    def run(self) -> None:
        assert self.limit is not None
        while not self.done.wait(min(1.0, self.limit / 4)):
            since = self.since
            if since is not None and time.monotonic() - since > self.limit:
                sys.stderr.write(
                    f"catopt: MPI rank {self.rank} waited more than {self.limit:g} s for the "
                    f"other ranks in a collective (stall_timeout={self.limit:g}); ending the "
                    f"job\n")
                sys.stderr.flush()
                os._exit(STALL_EXIT)


class _Poll:
    """Completes non-blocking collectives: ``Wait`` (MPI busy-waits), or with
    ``CATOPT_MPI_POLL=1`` ``Test`` with short sleeps, which hands the core to other ranks when
    a node runs more ranks than it has cores (measured on 2 cores and 4 ranks: busy-waiting
    was still faster there, so it is not the default)."""

    def __init__(self, comm: Any, dog: _Watchdog | None = None) -> None:
        self.sleepy = os.environ.get("CATOPT_MPI_POLL") == "1"
        self.dog = dog

    def __call__(self, req: Any) -> None:
        if not self.sleepy:
            req.Wait()
        else:
            pause = 2e-5
            while not req.Test():
                time.sleep(pause)
                pause = min(pause * 2, 1e-3)
        if self.dog is not None:
            self.dog.arm()  # progress: the next wait is timed from here


def _displacements(counts: list[int]) -> list[int]:
    """Offsets of consecutive blocks of ``counts`` items: one per count (none for a rank
    with no neighbours, which an idle rank is)."""
    return np.cumsum([0, *counts])[:-1].astype(np.int64).tolist()


class _Exchange:
    """Sums the shared coordinates' values across the ranks that read them.

    ``reduce(part)`` sums one value per rank and shared coordinate (``"allreduce"``: one
    ``Allreduce`` over the vector of all shared coordinates; ``"neighbor"``: each rank sends
    its values to the ranks sharing them, and sums in rank order). ``reduce_grad(gs, part)``
    sums gradients: under ``"neighbor"`` it exchanges the raw per-block contributions and adds
    them in block-coordinate order, exactly as the local engine's scatter-add does, so the
    result is bitwise the local engine's; under ``"allreduce"`` it reduces per-rank partial
    sums (``part``), a regrouping that differs from the local sums by rounding.
    """

    def __init__(self, comm: Any, plan: ExecutionPlan, rank: int, kind: str,
                 index: np.ndarray, offsets: np.ndarray, wait: _Poll) -> None:
        from mpi4py import MPI

        self.MPI = MPI
        self.wait = wait
        self.comm = comm
        self.kind = kind
        a = plan.agents[rank]
        self.sh = a.shared  # local positions of shared coordinates
        sh_coords = a.coords[self.sh]
        # Allreduce: positions of my shared coordinates in the global shared vector
        self.pos_all = np.searchsorted(plan.shared, sh_coords)
        self.buf = np.zeros(plan.shared.size)
        self.out = np.zeros(plan.shared.size)
        # neighbour exchange: for each neighbour q, positions (within sh) of coords shared with q
        nbrs = sorted(plan.neighbors[rank])
        self.nbrs = nbrs
        self.idx = [np.searchsorted(sh_coords, plan.neighbors[rank][q]) for q in nbrs]
        counts = np.array([i.size for i in self.idx], dtype=np.int64)
        self.counts = counts.tolist()
        self.displs = _displacements(self.counts)
        self.send = np.zeros(int(counts.sum()))
        self.recv = np.zeros(int(counts.sum()))
        self.order = sorted(nbrs + [rank])  # summation order of ``reduce``: ranks ascending
        self.rank = rank
        self.topo = None
        # whether this rank takes part in the reduction each step: Allreduce is collective
        # over all ranks (idle ones too) whenever anything is shared; neighbour collectives
        # only involve ranks that share something
        self.active = bool(plan.shared.size) if kind == "allreduce" else bool(self.sh.size)
        self.grad_bytes = 8 * self.buf.size if self.sh.size else 0
        if kind == "neighbor":
            self.topo = comm.Create_dist_graph_adjacent(nbrs, nbrs, reorder=False)
            self._exact_maps(plan, rank, index, offsets, sh_coords)
            self.grad_bytes = 8 * self.g_send_k.size

    def _exact_maps(self, plan: ExecutionPlan, rank: int, index: np.ndarray,
                    offsets: np.ndarray, sh_coords: np.ndarray) -> None:
        """Which block contributions go to which neighbour, and the order to add them in."""
        def positions(q: int) -> np.ndarray:  # global block coordinates of worker q, ascending
            bl = plan.agents[q].blocks
            return (np.concatenate([np.arange(offsets[b], offsets[b + 1]) for b in bl])
                    if bl.size else np.zeros(0, np.int64)).astype(np.int64)

        mine = positions(rank)
        send_k, recv_s, s_counts = [], [], []
        for q in self.nbrs:
            common = plan.neighbors[rank][q]
            send_k.append(np.flatnonzero(np.isin(index[mine], common)))
            theirs = positions(q)
            recv_s.append(theirs[np.isin(index[theirs], common)])
            s_counts.append(send_k[-1].size)
        own_k = np.flatnonzero(np.isin(index[mine], sh_coords))
        self.g_send_k = np.concatenate(send_k).astype(np.int64) if send_k else np.zeros(0, int)
        r_counts = [r.size for r in recv_s]
        self.g_counts = s_counts
        self.g_displs = _displacements(s_counts)
        self.g_rcounts = r_counts
        self.g_rdispls = _displacements(r_counts)
        self.g_own_k = own_k
        all_s = np.concatenate([mine[own_k]] + recv_s).astype(np.int64)
        perm = np.argsort(all_s, kind="stable")
        self.g_perm = perm
        self.g_target = np.searchsorted(sh_coords, index[all_s])[perm]
        self.g_recv = np.zeros(all_s.size - own_k.size)
        self.g_vals = np.zeros(all_s.size)

    def reduce(self, part: np.ndarray) -> np.ndarray:
        """``part`` holds this rank's values of its shared coordinates (in ``sh`` order);
        returns their sums over all ranks."""
        MPI = self.MPI
        if self.kind == "allreduce":
            self.buf[:] = 0.0
            self.buf[self.pos_all] = part
            self.wait(self.comm.Iallreduce(self.buf, self.out, op=MPI.SUM))
            return self.out[self.pos_all]
        for i, ix in zip(self.displs, self.idx, strict=True):
            self.send[i : i + ix.size] = part[ix]
        self.wait(self.topo.Ineighbor_alltoallv(
            [self.send, (self.counts, self.displs), MPI.DOUBLE],
            [self.recv, (self.counts, self.displs), MPI.DOUBLE],
        ))
        acc = np.zeros(part.size)
        for q in self.order:
            if q == self.rank:
                acc += part  # every coordinate of sh has my contribution
            else:
                k = self.nbrs.index(q)
                i, ix = self.displs[k], self.idx[k]
                acc[ix] += self.recv[i : i + ix.size]
        return acc

    def reduce_grad(self, gs: np.ndarray, part: np.ndarray) -> np.ndarray:
        """The shared coordinates' gradients from this rank's block contributions ``gs`` and
        its partial sums ``part`` (see the class docstring)."""
        if self.kind == "allreduce":
            return self.reduce(part)
        MPI = self.MPI
        send = gs[self.g_send_k]
        self.wait(self.topo.Ineighbor_alltoallv(
            [send, (self.g_counts, self.g_displs), MPI.DOUBLE],
            [self.g_recv, (self.g_rcounts, self.g_rdispls), MPI.DOUBLE],
        ))
        n_own = self.g_own_k.size
        self.g_vals[:n_own] = gs[self.g_own_k]
        self.g_vals[n_own:] = self.g_recv
        return np.bincount(self.g_target, weights=self.g_vals[self.g_perm],
                           minlength=self.sh.size)

    def free(self) -> None:
        if self.topo is not None:
            self.topo.Free()


def _choose_reduction(comm: Any, plan: ExecutionPlan, rank: int, requested: str,
                      index: np.ndarray, offsets: np.ndarray, wait: _Poll,
                      trials: int = 30) -> tuple[_Exchange, dict[str, float]]:
    """The requested exchange, or under ``"auto"`` the faster of the two on this plan
    (slowest rank's time over ``trials`` exchanges)."""
    from mpi4py import MPI

    if requested not in REDUCTIONS:
        raise CatoptError(f"reduction must be one of {REDUCTIONS}, got {requested!r}")
    if requested != "auto":
        return _Exchange(comm, plan, rank, requested, index, offsets, wait), {}
    if plan.workers == 1 or plan.shared.size == 0:
        return _Exchange(comm, plan, rank, "allreduce", index, offsets, wait), {}
    times: dict[str, float] = {}
    ex: dict[str, _Exchange] = {}
    for kind in ("allreduce", "neighbor"):
        e = _Exchange(comm, plan, rank, kind, index, offsets, wait)
        part = np.zeros(e.sh.size)
        gs = np.zeros(plan.agents[rank].gather.size)
        e.reduce_grad(gs, part)  # warm up
        comm.Barrier()
        t0 = time.perf_counter()
        for _ in range(trials):
            e.reduce_grad(gs, part)
        dt = np.array([(time.perf_counter() - t0) / trials])
        worst = np.zeros(1)
        comm.Allreduce(dt, worst, op=MPI.MAX)
        times[kind] = float(worst[0])
        ex[kind] = e
    pick = "allreduce" if times["allreduce"] <= times["neighbor"] else "neighbor"
    for kind, e in ex.items():
        if kind != pick:
            e.free()
    return ex[pick], times


def _gather_full(comm: Any, plan: ExecutionPlan, rank: int, x_loc: np.ndarray,
                 base: np.ndarray, root: int | None = 0) -> np.ndarray | None:
    """The full state from each coordinate's owner (on ``root``, or on all ranks if None)."""
    a = plan.agents[rank]
    mine = (a.coords[a.owned], x_loc[a.owned])
    if root is None:
        parts = comm.allgather(mine)
    else:
        parts = comm.gather(mine, root=root)
        if rank != root:
            return None
    x = base.copy()
    for c, v in parts:
        x[c] = v
    return x


def spmd_solve(
    comm: Any,
    problem: Any,
    plan: ExecutionPlan,
    x0: np.ndarray,
    rule: Any,
    steps: int,
    tol: float | None,
    *,
    progress: bool = False,
    sync_every: int = 1,
    reduction: str = "auto",
    checkpoint: Checkpointer | None = None,
    start: int = 0,
    history: list[float] | None = None,
    grad_norms: list[float] | None = None,
    stall_timeout: float | None = STALL_TIMEOUT,
) -> dict[str, Any]:
    """Run gradient descent on this rank's agent; collective over ``comm``.

    A rank that waits more than ``stall_timeout`` seconds for the others in one collective
    ends itself, and so the job (None: wait forever).

    Returns, on rank 0, a dict with ``x`` (full), ``history``, ``grad_norms``, ``iterations``,
    ``converged``, ``message``, ``stats``; on other ranks the same without ``x`` and histories.
    A collective failure (divergence, a checkpoint that does not match) raises the same
    :class:`~catopt.errors.CatoptError` on every rank.
    """
    from mpi4py import MPI

    rank, size = comm.Get_rank(), comm.Get_size()
    if size != plan.workers:
        raise CatoptError(f"the plan is for {plan.workers} workers but MPI has {size} ranks")
    a = plan.agents[rank]
    blocks = [problem.blocks[b] for b in a.blocks.tolist()]
    names = a.block_names
    offs = a.offsets.tolist()
    gather = a.gather
    m = a.n_local
    x = np.asarray(x0, dtype=float)[a.coords].copy()
    owned = a.owned
    natural = getattr(rule, "natural", True)
    k_sync = int(sync_every)
    index = problem.gather_index.astype(np.int64)
    if stall_timeout is not None and not (isinstance(stall_timeout, (int, float))
                                          and stall_timeout > 0):
        raise CatoptError(f"stall_timeout must be a positive number of seconds or None, got "
                          f"{stall_timeout!r}")
    dog = _Watchdog(rank, None if stall_timeout is None else float(stall_timeout))
    dog.arm()
    wait = _Poll(comm, dog)
    exch, trial_times = _choose_reduction(comm, plan, rank, reduction, index,
                                          problem.block_offsets.astype(np.int64), wait)
    sh = exch.sh
    anchor = x[sh].copy()  # shared values at the last exchange (sync_every > 1)
    hist: list[float] = [] if history is None else list(history)
    gns: list[float] = [] if grad_norms is None else list(grad_norms)
    bar = Progress(steps, progress if rank == 0 else False, desc=f"solve mpi x{size}",
                   initial=start)
    # per step one Allgatherv of [block values, squared gradient norm of owned, non-finite]:
    # the objective is summed in block order as the local engine sums it
    nb_r = len(blocks)
    s_counts = [plan.agents[q].blocks.size + 2 for q in range(size)]
    s_displs = np.concatenate([[0], np.cumsum(s_counts)[:-1]]).astype(np.int64).tolist()
    s_block_pos = np.concatenate([np.arange(s_displs[q], s_displs[q] + s_counts[q] - 2)
                                  for q in range(size)]).astype(np.int64)
    s_block_order = np.argsort(np.concatenate([plan.agents[q].blocks for q in range(size)]),
                               kind="stable")
    s_block_pos = s_block_pos[s_block_order]
    s_extra = np.array(s_displs) + np.array(s_counts) - 2
    scal = np.zeros(nb_r + 2)
    scal_all = np.zeros(int(sum(s_counts)))

    def allgather_scalars() -> tuple[float, float, bool]:
        wait(comm.Iallgatherv(scal, [scal_all, (s_counts, s_displs), MPI.DOUBLE]))
        vals = scal_all[s_block_pos]
        v = float(np.cumsum(vals)[-1]) if vals.size else 0.0
        gn2 = float(np.cumsum(scal_all[s_extra])[-1])
        return v, gn2, bool(np.any(scal_all[s_extra + 1] > 0))
    comp_t: list[float] = []
    comm_t: list[float] = []
    xs_buf = np.empty(gather.size)
    gs = np.empty(gather.size)

    def local_value(y_full: np.ndarray) -> float:
        """The composite objective at a full state (a collective: every rank calls it)."""
        ys = y_full[a.coords][gather]
        for j, blk in enumerate(blocks):
            scal[j] = blk.value(ys[offs[j] : offs[j + 1]])
        scal[nb_r:] = 0.0
        return allgather_scalars()[0]

    def fail(err: CatoptError) -> None:
        bar.close(t)
        raise err

    def sync_increments() -> None:
        nonlocal anchor
        total = exch.reduce(x[sh] - anchor)
        x[sh] = anchor + total
        anchor = x[sh].copy()

    t = start
    converged = False
    message = ""
    x_prev = x
    synced = True
    try:
        while True:
            c0 = time.perf_counter()
            dog.pause()  # computing its own blocks is not waiting for the others
            np.take(x, gather, out=xs_buf)
            j = 0
            try:
                for j, blk in enumerate(blocks):
                    lo, hi = offs[j], offs[j + 1]
                    scal[j], gs[lo:hi] = blk.value_and_grad(xs_buf[lo:hi])
            except CatoptError as e:
                raise type(e)(f"box {names[j]!r}: {e}") from e
            g = np.bincount(gather, weights=gs, minlength=m)
            dog.arm()
            c1 = time.perf_counter()
            exchange = k_sync == 1
            if exchange and exch.active:
                g[sh] = exch.reduce_grad(gs, g[sh])
            go = g[owned]
            scal[nb_r] = go @ go
            scal[nb_r + 1] = 0.0 if np.isfinite(x).all() else 1.0
            v, gn2, bad = allgather_scalars()
            gn = float(np.sqrt(gn2))
            c2 = time.perf_counter()
            comp_t.append(c1 - c0)
            comm_t.append(c2 - c1)
            if bad:
                full = _gather_full(comm, plan, rank, x_prev, np.asarray(x0, float), None)
                fail(DivergenceError(
                    f"the state became NaN or infinite at iteration {t}", x=full,
                    iteration=t - 1, hint=f"reduce the step size (step {rule(t - 1):.3g})"))
            if not (np.isfinite(v) and np.isfinite(gn)):
                what = "objective" if not np.isfinite(v) else "gradient"
                full = _gather_full(comm, plan, rank, x, np.asarray(x0, float), None)
                fail(DivergenceError(
                    f"the {what} is {v if what == 'objective' else 'not finite'} at "
                    f"iteration {t}", x=full, iteration=t,
                    hint="reduce the step size" if t > 0 else
                    "the objective is not finite at x0: check x0 and the objective"))
            if checkpoint is not None:
                try:
                    checkpoint.verify(t, v)
                except CatoptError as e:  # every rank sees the same v: all raise together
                    e._catopt_collective = True  # type: ignore[attr-defined]
                    raise
            hist.append(v)
            gns.append(gn)
            if rank == 0:
                bar.update(t, v, gn)
            stop = stop_reason(t, gn, tol, steps)
            if stop is not None:
                converged, message = stop
                break
            if checkpoint is not None and checkpoint.due(t, start) and synced:
                full = _gather_full(comm, plan, rank, x, np.asarray(x0, float))
                if rank == 0:
                    checkpoint.save(full, t, v, hist, gns)
            if natural:
                eta = rule(t)
            else:
                xf = _gather_full(comm, plan, rank, x, np.asarray(x0, float), None)
                gf = _gather_full(comm, plan, rank, g, np.zeros(plan.n), None)
                eta = rule.step_at(t, xf, v, gf, local_value)
            x_prev = x
            x = x - eta * g
            synced = exchange
            if k_sync > 1 and (t + 1) % k_sync == 0:
                c3 = time.perf_counter()
                sync_increments()
                comm_t[-1] += time.perf_counter() - c3
                synced = True
            t += 1
        if not synced:
            sync_increments()
    finally:
        bar.close(t)
    full = _gather_full(comm, plan, rank, x, np.asarray(x0, float))
    if checkpoint is not None and rank == 0:
        checkpoint.save(full, t, hist[-1], hist, gns)
    ct = comm.gather((np.asarray(comp_t), np.asarray(comm_t)), root=0)
    exch.free()
    grad_bytes = comm.allgather(exch.grad_bytes)
    dog.stop()
    out: dict[str, Any] = {"iterations": t, "converged": converged, "message": message}
    if rank == 0:
        comp = np.array([c[0] for c in ct])
        comms = np.array([c[1] for c in ct])
        out.update(
            x=full, history=np.asarray(hist), grad_norms=np.asarray(gns),
            stats={
                "engine": "mpi",
                "workers": size,
                "reduction": exch.kind,
                "reduction_trial_seconds": trial_times,
                "sync_every": k_sync,
                "shared_coordinates": int(plan.shared.size),
                # payload handed to MPI per step, summed over ranks: the junction reduction,
                # then the block values and norms every rank contributes to the Allgatherv
                "bytes_per_step": int(sum(grad_bytes) + 8 * sum(s_counts)),
                "messages_per_step": int(
                    (size if exch.kind == "allreduce" else plan.messages_per_step()) + size),
                "compute_seconds": comp,  # (ranks, steps taken this run)
                "comm_seconds": comms,
                "compute_time": float(comp.sum(axis=1).max()) if comp.size else 0.0,
                "comm_time": float(comms.sum(axis=1).max()) if comms.size else 0.0,
                "plan": plan.to_dict(),
            },
        )
    return out


# -- the program run by mpiexec --------------------------------------------------------------
def _write_json(path: Path, data: dict[str, Any]) -> None:
    from catopt.fileio import atomic_write

    atomic_write(path, json.dumps(data, default=str))


def _save_result(job: Path, out: dict[str, Any]) -> None:
    from catopt.fileio import atomic_path

    with atomic_path(job / "result.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, x=out["x"], history=out["history"], grad_norms=out["grad_norms"],
                     compute_seconds=out["stats"].pop("compute_seconds"),
                     comm_seconds=out["stats"].pop("comm_seconds"))
    meta = {k: out[k] for k in ("iterations", "converged", "message")}
    meta["stats"] = out["stats"]
    _write_json(job / "result.json", meta)


def main(argv: list[str] | None = None) -> int:
    """Entry point of each rank: ``python -m catopt.engines.mpi_worker JOBDIR``."""
    args = sys.argv[1:] if argv is None else argv
    job = Path(args[0])
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    boxes: tuple[str, ...] = ()
    try:
        with open(job / "job.pkl", "rb") as fh:
            spec = pickle.load(fh)
        plan: ExecutionPlan = spec["plan"]
        boxes = plan.agents[rank].block_names
        if os.environ.get("CATOPT_MPI_READY"):
            Path(job / f"ready.{rank}").write_text(str(os.getpid()))
        out = spmd_solve(comm, spec["problem"], plan, spec["x0"], spec["rule"], spec["steps"],
                         spec["tol"], **spec["options"])
        if rank == 0:
            _save_result(job, out)
        return 0
    except CatoptError as e:
        # a collective failure is raised on every rank: rank 0 reports it
        collective = getattr(e, "_catopt_collective", False) or isinstance(e, DivergenceError)
        record = {"rank": rank, "boxes": list(boxes), "type": type(e).__name__,
                  "message": str(e), "traceback": traceback.format_exc()}
        if isinstance(e, DivergenceError):
            record.update(iteration=e.iteration, hint=e.hint)
            if rank == 0 and e.x is not None:
                np.save(job / "divergence_x.npy", np.asarray(e.x, float))
        if collective:
            if rank == 0:
                _write_json(job / "collective_error.json", record)
            return 0
        _write_json(job / f"error.{rank}.json", record)
    except BaseException as e:  # noqa: BLE001 - any failure must end the whole job
        _write_json(job / f"error.{rank}.json", {
            "rank": rank, "boxes": list(boxes), "type": type(e).__name__, "message": str(e),
            "traceback": traceback.format_exc()})
    sys.stderr.flush()
    comm.Abort(1)
    return 1


if __name__ == "__main__":
    sys.exit(main())
