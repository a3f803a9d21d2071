"""The SPMD program every MPI rank runs: distributed gradient descent on an execution plan.

Rank ``r`` holds the coordinates its leaves read, ``x_r = x[coords_r]``. One step is the
distributed algorithm of the gradient functor:

1. each rank evaluates its leaves on ``x_r[gather_r]`` (``phi^* x``) and scatter-adds their
   gradients into its coordinates (its share of ``phi_*``);
2. the shared coordinates' contributions are summed across the ranks that read them (the
   junction reduction: one ``Allreduce`` over the shared-coordinate vector, or neighbour
   collectives on a distributed graph topology, whichever measured faster), and one small
   ``Allgatherv`` of the leaves' values and the owned squared gradient norms gives every rank
   the objective (summed in leaf order, as the local engine sums it) and the norm;
3. every rank takes the step ``x_r <- x_r - eta_t g_r``; copies of a shared coordinate stay
   equal because every rank sums the contributions in the same order.

With ``sync_every = k > 1`` ranks take k steps on their own leaves and then sum their
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
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from catopt.engines.driver import Advance, drive, scaled_norm
from catopt.engines.plan import ExecutionPlan
from catopt.engines.results import SolveResult
from catopt.errors import CatoptError, CheckpointError, DivergenceError, RunInterrupted
from catopt.functor.gradient import euler_step, gradient_flow
from catopt.functor.steps import checked_step

__all__ = ["spmd_solve", "main", "REDUCTIONS", "MpiEvaluator"]

REDUCTIONS = ("auto", "allreduce", "neighbor")

#: scalars each rank adds to the per-step Allgatherv after its leaf values
_EXTRA = 5


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
    sums gradients: under ``"neighbor"`` it exchanges the raw per-leaf contributions and adds
    them in leaf-coordinate order, exactly as the local engine's scatter-add does, so the
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
        """Which leaf contributions go to which neighbour, and the order to add them in."""
        def positions(q: int) -> np.ndarray:  # global leaf coordinates of worker q, ascending
            bl = plan.agents[q].leaves
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
        """The shared coordinates' gradients from this rank's leaf contributions ``gs`` and
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
    # rank 0 decides and every rank takes its word: one mode on all ranks, whatever clocks say
    pick = comm.bcast("allreduce" if times["allreduce"] <= times["neighbor"] else "neighbor",
                      root=0)
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


class MpiEvaluator:
    """One rank's share of the run: its agent's leaves (a restriction of the gradient flow's
    :class:`~catopt.Program`), the junction reduction and the scalar Allgatherv (see the
    module docstring). Every rank runs the one driver in lock step: the objective and norm are
    the same on every rank, so every rank takes the same decisions."""

    engine = "mpi"
    interruptible = False  # Ctrl-C reaches the launcher, which ends the job

    def __init__(self, comm: Any, problem: Any, plan: ExecutionPlan, x0: np.ndarray, rule: Any,
                 *, sync_every: int = 1, reduction: str = "auto", mode: str = "flow",
                 stall_timeout: float | None = STALL_TIMEOUT) -> None:
        from mpi4py import MPI

        self.MPI = MPI
        self.comm = comm
        rank, size = comm.Get_rank(), comm.Get_size()
        if size != plan.workers:
            raise CatoptError(f"the plan is for {plan.workers} workers but MPI has {size} "
                              f"ranks")
        self.rank, self.size, self.plan = rank, size, plan
        self.root = rank == 0
        self.chunk = 100  # steps per advance: an overflowing update is checked once a chunk
        self.rule = rule
        self.problem = problem
        a = plan.agents[rank]
        self.agent = a
        if mode not in ("flow", "update"):
            raise CatoptError(f"mode must be 'flow' or 'update', got {mode!r}")
        # "flow": gradient descent on a problem (the Euler step of its gradient flow);
        # "update": any open discrete system (a method's image), its increments pushed forward
        self.mode = mode
        flow = gradient_flow(problem).program if mode == "flow" else problem.program
        self.program = flow.restrict(a.leaves, a.coords)
        self.silent = np.array([not getattr(leaf, "knows_objective", True)
                                for leaf in self.program.leaves], dtype=bool)
        self.gather = self.program.gather_index
        self.base = np.asarray(x0, dtype=float)
        self.owned = a.owned
        self.k_sync = int(sync_every)
        if stall_timeout is not None and (isinstance(stall_timeout, bool) or not (
                isinstance(stall_timeout, (int, float)) and stall_timeout > 0)):
            raise CatoptError(f"stall_timeout must be a positive number of seconds or None, "
                              f"got {stall_timeout!r}")
        # the timeout path of every collective: armed while this rank waits for the others
        self.dog = _Watchdog(rank, None if stall_timeout is None else float(stall_timeout))
        self.dog.arm()
        self.wait = _Poll(comm, self.dog)
        self.exch, self.trial_times = _choose_reduction(
            comm, plan, rank, reduction, flow.gather_index.astype(np.int64),
            flow.offsets.astype(np.int64), self.wait)
        self.sh = self.exch.sh
        self.anchor = self.base[a.coords][self.sh].copy()  # shared values at the last exchange
        self.synced = True
        # per step one Allgatherv of [leaf values, squared norm of the owned field, its max
        # |entry| and squared norm scaled by that max (only when the squares overflow),
        # the stop flags (state not finite, stop requested)]: the objective is summed in
        # leaf order as the local engine sums it
        nb = len(self.program.leaves)
        self.nb = nb
        counts = [plan.agents[q].leaves.size + _EXTRA for q in range(size)]
        displs = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64).tolist()
        pos = np.concatenate([np.arange(displs[q], displs[q] + counts[q] - _EXTRA)
                              for q in range(size)]).astype(np.int64)
        order = np.argsort(np.concatenate([plan.agents[q].leaves for q in range(size)]),
                           kind="stable")
        self.s_counts, self.s_displs = counts, displs
        self.s_leaf_pos = pos[order]
        self.s_extra = np.array(displs) + np.array(counts) - _EXTRA
        self.scal = np.zeros(nb + _EXTRA)
        self.scal_all = np.zeros(int(sum(counts)))
        self.comp_t: list[float] = []
        self.comm_t: list[float] = []
        self.stop_requested = 0.0
        self._handlers = self._catch_stops()

    def _catch_stops(self) -> dict[int, Any]:
        """A signal to this rank asks the whole run to stop at its next step: SIGINT, or
        SIGUSR1 (what the launcher sends each rank on its Ctrl-C), asks with 1; SIGTERM, or
        SIGUSR2 (the launcher's SIGTERM), with 2. Returns the handlers it replaced."""
        if threading.current_thread() is not threading.main_thread():
            return {}

        def ask(signum: int, frame: Any) -> None:
            level = 2.0 if signum in (signal.SIGTERM, signal.SIGUSR2) else 1.0
            self.stop_requested = max(self.stop_requested, level)

        old = {}
        for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT, signal.SIGTERM):
            old[sig] = signal.signal(sig, ask)
        return old

    def close(self) -> None:
        """Give back the signal handlers; stop the watchdog."""
        self.dog.stop()
        for sig, h in self._handlers.items():
            signal.signal(sig, h)
        self._handlers = {}

    # -- collectives ------------------------------------------------------------------------
    def _allgather_scalars(self) -> tuple[float, float, bool, float]:
        """``(objective, field norm, some state not finite, stop requested)``: the stop is 0,
        1 (SIGINT or the launcher's SIGUSR1) or 2 (SIGTERM), the largest over the ranks."""
        MPI = self.MPI
        self.wait(self.comm.Iallgatherv(
            self.scal, [self.scal_all, (self.s_counts, self.s_displs), MPI.DOUBLE]))
        a, e = self.scal_all, self.s_extra
        vals = a[self.s_leaf_pos]
        v = float(np.cumsum(vals)[-1]) if vals.size else 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            gn2 = float(np.cumsum(a[e])[-1])
        if np.isfinite(gn2):
            gn = float(np.sqrt(gn2))
        else:  # |f| = M sqrt(sum_r (n_r / M)^2) from each rank's norm n_r, without overflow
            s_r, m_r, ss_r = a[e], a[e + 1], a[e + 2]
            with np.errstate(over="ignore", invalid="ignore"):
                n_r = np.where(np.isfinite(s_r), np.sqrt(np.abs(s_r)), m_r * np.sqrt(ss_r))
            big = float(np.max(n_r))
            gn = big if not (np.isfinite(big) and big > 0) else \
                big * float(np.sqrt(np.cumsum((n_r / big) ** 2)[-1]))
        return v, gn, bool(np.any(a[e + 3] > 0)), float(np.max(a[e + 4]))

    def _any_not_finite(self, x: np.ndarray) -> bool:
        flag = np.array([0.0 if np.isfinite(x).all() else 1.0])
        out = np.zeros(1)
        self.comm.Allreduce(flag, out, op=self.MPI.MAX)
        return bool(out[0] > 0)

    def _value(self, y_full: np.ndarray) -> float:
        """The composite objective at a full state (a collective: every rank calls it)."""
        self.program.run(y_full[self.agent.coords], "value_and_field", values=self.scal)
        self.scal[self.nb:] = 0.0
        return self._allgather_scalars()[0]

    def _sync(self, x: np.ndarray) -> None:
        """``y + sum_r (y_r - y)`` on the shared coordinates (sync_every > 1)."""
        total = self.exch.reduce(x[self.sh] - self.anchor)
        x[self.sh] = self.anchor + total
        self.anchor = x[self.sh].copy()
        self.synced = True

    def full(self, x: np.ndarray) -> np.ndarray:
        out = _gather_full(self.comm, self.plan, self.rank, x, self.base, None)
        assert out is not None
        return out

    def can_checkpoint(self) -> bool:
        return self.synced

    def finish(self, x: np.ndarray) -> np.ndarray:
        if not self.synced:
            self._sync(x)
        return x

    # -- the steps --------------------------------------------------------------------------
    def advance(self, x: np.ndarray, t: int, k: int, final: bool,
                tol: float | None) -> Advance:
        program, scal, nb, sh = self.program, self.scal, self.nb, self.sh
        m = self.agent.n_local
        vs: list[float] = []
        ns: list[float] = []
        x_prev = x
        stepped = False
        for i in range(k + final):
            c0 = time.perf_counter()
            self.dog.pause()  # computing its own leaves is not waiting for the others
            if self.mode == "flow":
                _, _, fs = program.run(x, "value_and_field", values=scal)
            else:  # a discrete system: its leaves' increments u_b(x_b) - x_b
                _, xs, us = program.run(x, "value_and_update", t + i, values=scal)
                fs = us - xs  # type: ignore[operator]
                scal[:nb][self.silent] = 0.0  # a leaf that knows no objective adds 0
            f = np.bincount(self.gather, weights=fs, minlength=m)
            self.dog.arm()
            c1 = time.perf_counter()
            if self.k_sync == 1 and self.exch.active:
                f[sh] = self.exch.reduce_grad(fs, f[sh])
            fo = f[self.owned]
            with np.errstate(over="ignore", invalid="ignore"):
                scal[nb] = fo @ fo if fo.size else 0.0
            # the scaled norm only when the sum of squares overflowed (rare: no extra pass)
            scal[nb + 1], scal[nb + 2] = (0.0, 0.0) if np.isfinite(scal[nb]) else \
                scaled_norm(fo)
            scal[nb + 3] = 0.0 if np.isfinite(x).all() else 1.0
            scal[nb + 4] = self.stop_requested
            v, gn, bad, stop = self._allgather_scalars()
            self.comp_t.append(c1 - c0)
            self.comm_t.append(time.perf_counter() - c1)
            if stop:  # a rank was asked to stop: all stop here, at iteration t + i
                self.stop_requested = 0.0
                return Advance(x, np.asarray(vs), np.asarray(ns), False, interrupted=True,
                               at=t + i, signal="SIGTERM" if stop > 1 else "SIGINT")
            if bad and i > 0:  # this state is not finite: the previous step's update overflowed
                return Advance(x_prev, np.asarray(vs), np.asarray(ns), True)
            if self.mode == "update":  # the increment's norm per unit step, as run_system
                gn = gn / checked_step(self.rule(t + i), self.rule, t + i)
            vs.append(v)
            ns.append(gn)
            stepped = False
            if not (np.isfinite(v) and np.isfinite(gn)) or (tol is not None and gn <= tol):
                return Advance(x, np.asarray(vs), np.asarray(ns), True)
            if i == k:
                break
            if self.rule.natural:
                eta = self.rule(t + i)
            else:
                xf = self.full(x)
                gf = _gather_full(self.comm, self.plan, self.rank, -f, np.zeros(self.plan.n),
                                  None)
                eta = self.rule.step_at(t + i, xf, v, gf, self._value)
            eta = checked_step(eta, self.rule, t + i)  # every rank sees the same eta
            x_prev, x = x, (euler_step(x, eta, f) if self.mode == "flow" else x + f)
            stepped = True
            self.synced = self.k_sync == 1
            if self.k_sync > 1 and (t + i + 1) % self.k_sync == 0:
                c3 = time.perf_counter()
                self._sync(x)
                self.comm_t[-1] += time.perf_counter() - c3
        if stepped and self._any_not_finite(x):  # the chunk's last update, checked once
            return Advance(x_prev, np.asarray(vs), np.asarray(ns), True)
        return Advance(x, np.asarray(vs), np.asarray(ns), False)

    def meta(self) -> dict[str, Any]:
        return {"reduction": self.exch.kind}

    def stats(self) -> dict[str, Any]:
        comm, plan, size, exch = self.comm, self.plan, self.size, self.exch
        ct = comm.gather((np.asarray(self.comp_t), np.asarray(self.comm_t)), root=0)
        exch.free()
        grad_bytes = comm.allgather(exch.grad_bytes)
        if not self.root:
            return {"engine": "mpi", "workers": size, "rank": self.rank}
        n_steps = min(len(c[0]) for c in ct)
        comp = np.array([c[0][:n_steps] for c in ct])
        comms = np.array([c[1][:n_steps] for c in ct])
        return {
            "engine": "mpi",
            "workers": size,
            "rank": 0,
            "reduction": exch.kind,
            "reduction_trial_seconds": self.trial_times,
            "sync_every": self.k_sync,
            "shared_coordinates": int(plan.shared.size),
            # payload handed to MPI per step, summed over ranks: the junction reduction,
            # then the leaf values and norms every rank contributes to the Allgatherv
            "bytes_per_step": int(sum(grad_bytes) + 8 * sum(self.s_counts)),
            "messages_per_step": int(
                (size if exch.kind == "allreduce" else plan.messages_per_step()) + size),
            "compute_seconds": comp,  # (ranks, steps evaluated this run)
            "comm_seconds": comms,
            "compute_time": float(comp.sum(axis=1).max()) if comp.size else 0.0,
            "comm_time": float(comms.sum(axis=1).max()) if comms.size else 0.0,
            "plan": plan.to_dict(),
        }


def spmd_solve(comm: Any, problem: Any, plan: ExecutionPlan, x0: np.ndarray, rule: Any,
               steps: int, tol: float | None, *, progress: bool = False, sync_every: int = 1,
               reduction: str = "auto", stall_timeout: float | None = STALL_TIMEOUT,
               mode: str = "flow", **options: Any) -> SolveResult:
    """Run gradient descent on this rank's agent: the one driver over an
    :class:`MpiEvaluator`; collective over ``comm``. Every rank returns the result with the
    full ``x``; ``stats`` are complete on rank 0. A collective failure (divergence, a
    checkpoint that does not match) raises the same :class:`~catopt.errors.CatoptError` on
    every rank."""
    ev = MpiEvaluator(comm, problem, plan, x0, rule, sync_every=sync_every, reduction=reduction,
                      stall_timeout=stall_timeout, mode=mode)
    try:
        return drive(ev, problem,
                     np.asarray(x0, dtype=float)[plan.agents[comm.Get_rank()].coords],
                     rule, steps, tol, progress=progress, **options)
    finally:
        ev.close()


# -- the program run by mpiexec --------------------------------------------------------------
def _write_json(path: Path, data: dict[str, Any]) -> None:
    from catopt.fileio import atomic_write

    atomic_write(path, json.dumps(data, default=str))


def _save_result(job: Path, res: SolveResult) -> None:
    from catopt.fileio import atomic_path

    stats = dict(res.stats)
    with atomic_path(job / "result.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, x=res.x, history=res.history, grad_norms=res.grad_norms,
                     compute_seconds=stats.pop("compute_seconds"),
                     comm_seconds=stats.pop("comm_seconds"))
    meta = {"iterations": res.iterations, "status": res.status, "message": res.message,
            "stats": stats}
    _write_json(job / "result.json", meta)


def _watch_launcher(job: Path, rank: int, every: float = 0.5) -> None:
    """End this rank when the launching process is gone (killed, even by SIGKILL): a
    daemon thread polls its pid (``CATOPT_LAUNCHER_PID``); rank 0 also removes the job
    folder. No rank outlives the process that started the run."""
    pid = os.environ.get("CATOPT_LAUNCHER_PID")
    if not pid:
        return

    def alive() -> bool:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except (PermissionError, ValueError):
            return True
        return True

    def watch() -> None:
        while alive():
            time.sleep(every)
        if rank == 0:
            import shutil

            shutil.rmtree(job, ignore_errors=True)
        os._exit(3)

    threading.Thread(target=watch, name="catopt-launcher-watchdog", daemon=True).start()


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
        boxes = plan.agents[rank].leaf_names
        Path(job / f"pid.{rank}").write_text(str(os.getpid()))  # the launcher signals these
        _watch_launcher(job, rank)
        if os.environ.get("CATOPT_MPI_READY"):
            Path(job / f"ready.{rank}").write_text(str(os.getpid()))
        out = spmd_solve(comm, spec["problem"], plan, spec["x0"], spec["rule"], spec["steps"],
                         spec["tol"], **spec["options"])
        if rank == 0:
            _save_result(job, out)
        return 0
    except CatoptError as e:
        # a collective failure is raised on every rank: rank 0 reports it
        collective = isinstance(e, (DivergenceError, CheckpointError, RunInterrupted))
        record = {"rank": rank, "boxes": list(boxes), "type": type(e).__name__,
                  "message": str(e), "traceback": traceback.format_exc()}
        if isinstance(e, RunInterrupted):
            record.update(iteration=e.iteration, signal=e.signal,
                          checkpoint=None if e.checkpoint is None else str(e.checkpoint))
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
