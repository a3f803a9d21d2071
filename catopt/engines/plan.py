"""Execution plans: a composite problem compiled into agents over K workers.

A composite ``p`` compiles to one :class:`~catopt.Program` (its leaves and gather index:
leaf coordinate ``s`` reads composite coordinate ``index[s]``). A plan assigns every leaf to one
worker (an *agent* is the set of leaves of one worker) and precomputes, per agent,

- ``coords``: the composite coordinates it reads (sorted), its local state ``x[coords]``;
- ``gather``: leaf coordinate -> local coordinate, so ``x_local[gather]`` is ``phi^* x`` for
  its leaves, and ``bincount(gather, g)`` is its share of ``phi_*``;
- ``shared``: local positions of the coordinates also read by other workers; their gradient
  contributions are summed across workers every step (the *junction reduction*);
- ``owned``: local positions of the coordinates it owns (each coordinate has one owner, which
  reports it in results, norms and checkpoints).

The communication pattern is the set of worker pairs sharing coordinates, with how many scalars
they exchange each step; ``str(plan)`` prints it and ``plan.to_json()`` serializes it (with what
a drawing needs: agents, junctions, messages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from catopt.engines.partition import cut_size, imbalance, partition_leaves
from catopt.errors import EngineError
from catopt.limits import check_limit
from catopt.validate import integer

__all__ = ["Agent", "ExecutionPlan", "compile_plan"]


@dataclass
class Agent:
    """The leaves of one worker and its index maps (see the module docstring)."""

    rank: int
    leaves: np.ndarray  # leaf numbers, increasing
    leaf_names: tuple[str, ...]
    offsets: np.ndarray  # local leaf offsets into ``gather``
    coords: np.ndarray  # composite coordinates held, sorted
    gather: np.ndarray  # leaf coordinate -> position in ``coords``
    shared: np.ndarray  # positions in ``coords`` reduced across workers
    owned: np.ndarray  # positions in ``coords`` this worker owns
    cost: float

    @property
    def n_local(self) -> int:
        return int(self.coords.size)

    @property
    def blocks(self) -> np.ndarray:
        """The first releases' name of :attr:`leaves`."""
        return self.leaves

    @property
    def block_names(self) -> tuple[str, ...]:
        """The first releases' name of :attr:`leaf_names`."""
        return self.leaf_names


class ExecutionPlan:
    """Agents, junction ownership and the communication pattern of a composite on K workers.

    Build it with :func:`compile_plan`. Attributes: ``workers``, ``n``, ``agents``, ``part``
    (worker of each leaf), ``shared`` (sorted composite coordinates read by more than one
    worker), ``owner`` (worker of each composite coordinate), ``neighbors[r]`` (worker ->
    composite coordinates that ``r`` shares with it), ``labels`` and ``variables`` of the space.
    """

    def __init__(
        self,
        *,
        n: int,
        index: np.ndarray,
        offsets: np.ndarray,
        leaf_names: tuple[str, ...],
        part: np.ndarray,
        workers: int,
        costs: np.ndarray,
        labels: tuple[str, ...],
        variables: tuple[str, ...],
        var_offsets: np.ndarray,
    ) -> None:
        self.n = int(n)
        self.workers = int(workers)
        self.part = np.asarray(part, dtype=np.int64)
        self.leaf_names = tuple(leaf_names)
        self.costs = np.asarray(costs, dtype=float)
        self.labels = labels
        self.variables = variables
        self.var_offsets = np.asarray(var_offsets, dtype=np.int64)
        self.leaf_sizes = np.diff(offsets)
        self.cut = cut_size(self.part, index, offsets, self.n) if self.part.size else 0
        self.imbalance = imbalance(self.part, self.costs, self.workers) if self.part.size else 1.0
        k = self.workers
        # which workers read each coordinate: a (coordinate, worker) incidence
        wk_of_s = np.repeat(self.part, self.leaf_sizes)
        key = np.unique(index.astype(np.int64) * k + wk_of_s)
        coord, wk = key // k, key % k
        users = np.bincount(coord, minlength=self.n)
        self.shared = np.flatnonzero(users > 1).astype(np.int64)
        # owner: the first worker reading a coordinate, worker 0 for coordinates nobody reads
        owner = np.zeros(self.n, dtype=np.int64)
        first = np.r_[True, coord[1:] != coord[:-1]] if coord.size else np.zeros(0, bool)
        owner[coord[first]] = wk[first]
        # shared coordinates go to the least loaded of their readers (balances norms, results)
        if self.shared.size:
            load = np.zeros(k)
            sh_set = np.isin(coord, self.shared)
            c_sh, w_sh = coord[sh_set], wk[sh_set]
            starts = np.flatnonzero(np.r_[True, c_sh[1:] != c_sh[:-1]])
            ends = np.r_[starts[1:], c_sh.size]
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
                cand = w_sh[s:e]
                w = int(cand[np.argmin(load[cand])])
                owner[c_sh[s]] = w
                load[w] += 1
        self.owner = owner
        unread = users == 0
        self.agents: list[Agent] = []
        self.neighbors: list[dict[int, np.ndarray]] = []
        for r in range(k):
            mine = np.flatnonzero(self.part == r)
            pos = np.concatenate(
                [np.arange(offsets[b], offsets[b + 1]) for b in mine]
            ).astype(np.int64) if mine.size else np.zeros(0, np.int64)
            reads = index[pos].astype(np.int64)
            coords = np.unique(reads)
            if r == 0:
                coords = np.union1d(coords, np.flatnonzero(unread)).astype(np.int64)
            gather = np.searchsorted(coords, reads).astype(np.int64)
            loc_off = np.concatenate([[0], np.cumsum(self.leaf_sizes[mine])]).astype(np.int64)
            shared = np.flatnonzero(np.isin(coords, self.shared)).astype(np.int64)
            owned = np.flatnonzero(owner[coords] == r).astype(np.int64)
            self.agents.append(Agent(
                rank=r, leaves=mine, leaf_names=tuple(self.leaf_names[b] for b in mine),
                offsets=loc_off, coords=coords, gather=gather, shared=shared, owned=owned,
                cost=float(self.costs[mine].sum()),
            ))
        self.neighbors = _neighbors(coord, wk, k)

    # -- what a drawing and a report need ---------------------------------------------------
    def variable_of(self, coords: np.ndarray) -> np.ndarray:
        """The index of the space variable holding each composite coordinate."""
        return np.searchsorted(self.var_offsets, coords, side="right") - 1

    def junctions(self) -> list[dict[str, Any]]:
        """The variables with coordinates read by more than one worker: name, scalars shared,
        the workers reading them and the owner of their first shared coordinate."""
        if not self.shared.size:
            return []
        var = self.variable_of(self.shared)
        out = []
        for v in np.unique(var).tolist():
            cs = self.shared[var == v]
            readers = sorted(q for q in range(self.workers)
                             if np.isin(cs, self.agents[q].coords).any())
            out.append({"name": self.variables[v], "scalars": int(cs.size),
                        "workers": readers, "owner": int(self.owner[cs[0]])})
        return out

    def messages(self) -> list[dict[str, Any]]:
        """Point-to-point messages of one step under neighbour exchange: source, destination,
        and the coordinates the two workers share (``scalars``). Summing per-worker values
        sends one float64 per shared coordinate; the exact gradient exchange sends one per
        leaf coordinate reading it (the same when each worker has one leaf on a junction)."""
        return [{"source": r, "dest": q, "scalars": int(c.size)}
                for r, nb in enumerate(self.neighbors) for q, c in sorted(nb.items())]

    def messages_per_step(self) -> int:
        return sum(len(nb) for nb in self.neighbors)

    def scalars_per_step(self) -> int:
        """Scalars sent in one neighbour exchange, summed over workers."""
        return sum(int(c.size) for nb in self.neighbors for c in nb.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "catopt-plan/1",
            "workers": self.workers,
            "n": self.n,
            "cut": self.cut,
            "imbalance": self.imbalance,
            "part": self.part.tolist(),
            "agents": [
                {"rank": a.rank, "boxes": list(a.leaf_names), "cost": a.cost,
                 "coordinates": a.n_local, "shared": int(a.shared.size),
                 "owned": int(a.owned.size)}
                for a in self.agents
            ],
            "junctions": self.junctions(),
            "messages": self.messages(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The plan as JSON (``part`` rebuilds it with :func:`compile_plan`)."""
        return json.dumps(self.to_dict(), indent=indent)

    @property
    def block_names(self) -> tuple[str, ...]:
        """The first releases' name of :attr:`leaf_names`."""
        return self.leaf_names

    def __str__(self) -> str:
        lines = [
            f"ExecutionPlan: {len(self.leaf_names)} boxes on {self.workers} workers, "
            f"{self.n} coordinates, {self.shared.size} shared across workers, "
            f"load imbalance {self.imbalance:.2f}",
        ]
        for a in self.agents:
            boxes = ", ".join(a.leaf_names) if a.leaf_names else "(idle)"
            lines.append(f"  worker {a.rank}: {boxes}  [cost {a.cost:.3g}, {a.n_local} coords, "
                         f"{a.shared.size} shared, {a.owned.size} owned]")
        for j in self.junctions():
            lines.append(f"  junction {j['name']} ({j['scalars']} scalars): workers "
                         f"{j['workers']}, owner {j['owner']}")
        for m in self.messages():
            lines.append(f"  message {m['source']} -> {m['dest']}: {m['scalars']} scalars/step")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"ExecutionPlan(workers={self.workers}, boxes={len(self.leaf_names)}, "
                f"shared={self.shared.size}, messages={self.messages_per_step()})")


def _neighbors(coord: np.ndarray, wk: np.ndarray, k: int) -> list[dict[int, np.ndarray]]:
    """``out[r][q]``: the coordinates that workers ``r != q`` both read, sorted, from the
    unique (coordinate, worker) pairs sorted by coordinate then worker. Linear in the pairs
    (times the most readers of one coordinate), not quadratic in ``k``."""
    out: list[dict[int, np.ndarray]] = [{} for _ in range(k)]
    if coord.size < 2:
        return out
    group = np.cumsum(np.r_[True, coord[1:] != coord[:-1]])
    a, b = [], []
    d = 1
    while d < coord.size:
        same = group[d:] == group[:-d]
        if not same.any():
            break
        i = np.flatnonzero(same)
        a.append(i)
        b.append(i + d)
        d += 1
    if not a:
        return out
    i, j = np.concatenate(a), np.concatenate(b)
    src = np.concatenate([wk[i], wk[j]])
    dst = np.concatenate([wk[j], wk[i]])
    c = np.concatenate([coord[i], coord[i]])
    order = np.lexsort((c, dst, src))
    src, dst, c = src[order], dst[order], c[order]
    cut = np.flatnonzero(np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1]), True])
    for s0, s1 in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True):
        out[int(src[s0])][int(dst[s0])] = c[s0:s1].astype(np.int64)
    return out


def _leaf_costs(program: Any, costs: Any, x0: np.ndarray | None) -> np.ndarray:
    leaves = program.leaves
    if costs is None or (isinstance(costs, str) and costs == "size"):
        return np.array([max(b.size, 1) for b in leaves], dtype=float)
    if isinstance(costs, str) and costs == "measure":
        import time

        x = np.zeros(program.n) if x0 is None else np.asarray(x0, float)
        xs = x[program.gather_index]
        offs = program.offsets
        out = np.empty(len(leaves))
        for k, b in enumerate(leaves):
            seg = xs[offs[k]:offs[k + 1]]
            b.value_and_grad(seg)  # warm up
            t0 = time.perf_counter()
            b.value_and_grad(seg)
            out[k] = time.perf_counter() - t0
        return out
    if isinstance(costs, str):
        raise EngineError(f"costs must be 'size', 'measure' or a sequence, got {costs!r}")
    try:
        out = np.asarray(costs, dtype=float)
    except (TypeError, ValueError):
        raise EngineError(f"costs must be 'size', 'measure' or one number per leaf, got "
                          f"{costs!r}"[:300]) from None
    if out.shape != (len(leaves),) or not np.all(np.isfinite(out)) or np.any(out < 0):
        raise EngineError(f"costs must be {len(leaves)} non-negative finite numbers (one per "
                          f"leaf), got shape {out.shape}")
    return out


def compile_plan(
    problem: Any,
    workers: int,
    *,
    costs: Any = None,
    method: str = "auto",
    part: Any = None,
    x0: np.ndarray | None = None,
    balance: float = 1.25,
) -> ExecutionPlan:
    """Compile ``problem`` (an :class:`~catopt.OpenProblem`) into an :class:`ExecutionPlan`.

    ``costs``: the cost of each leaf: ``"size"`` (default, its number of coordinates),
    ``"measure"`` (the time of one gradient at ``x0``) or a sequence. ``method`` chooses the
    partitioner (see :func:`catopt.engines.partition.partition_leaves`); ``part`` gives the
    worker of each leaf explicitly (for instance from a saved plan's ``"part"``).
    """
    workers = integer(workers, "workers", minimum=1, error=EngineError, expected="a positive int")
    check_limit("max_workers", workers, "the run")
    program = problem.program
    index = program.gather_index.astype(np.int64)
    offsets = program.offsets.astype(np.int64)
    nb = len(program.leaves)
    c = _leaf_costs(program, costs, x0)
    if part is None:
        p = partition_leaves(index, offsets, problem.n, int(workers), c, method=method,
                             balance=balance)
    else:
        p = np.asarray(part)
        if p.shape != (nb,) or not np.issubdtype(p.dtype, np.integer) or (
            nb and (p.min() < 0 or p.max() >= workers)
        ):
            raise EngineError(
                f"part must give a worker 0..{workers - 1} for each of the {nb} boxes, got {part!r}"
            )
    space = problem.space
    return ExecutionPlan(
        n=problem.n, index=index, offsets=offsets, leaf_names=program.leaf_names, part=p,
        workers=int(workers), costs=c, labels=space.labels, variables=space.names,
        var_offsets=space.offsets,
    )
