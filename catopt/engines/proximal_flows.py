"""Exact minimum-cost flows for linear (non-strictly convex) costs: the proximal point method,
each proximal subproblem solved by dual decomposition through :func:`run_system`.

Dual ascent recovers the flow ``x*(lam)`` from the multipliers only when the edge minimizers
are unique; for linear costs ``beta_e x_e`` with capacities they jump between the capacities,
so the flows of dual ascent never settle. The proximal point method (Rockafellar 1976) on
``F(x) = sum_e c_e(x_e) + [A x = b, l <= x <= h]`` is

    x_{k+1} = argmin_x  F(x) + |x - x_k|^2 / (2 t),

the minimum-cost flow of the *proximal network* (:func:`~catopt.problems.flow_proximal.
proximal_network`), whose edge costs ``c_e(x) + (x - x_{k,e})^2 / (2t)`` are strictly convex
quadratics: its dual is smooth and its edge minimizers are the closed forms
``clip(x_{k,e} - t (beta_e + (A' lam)_e), l_e, h_e)``, so dual decomposition solves it and
recovers its flow exactly. The proximal network of a composite is the composite of the
proximal networks, so each subproblem runs hierarchical (or standard) dual decomposition on
the subnetworks as they are glued. The multipliers are warm-started across outer iterations.

The outer loop is this module's only loop: every subproblem runs in
:func:`~catopt.engines.systems.run_system` (the one driver; ``engine="mpi"`` runs each on MPI
ranks). For a linear program ``F`` is polyhedral, so it has weak sharp minima (Burke and Ferris
1993) and the proximal point method terminates finitely at an optimal flow for any ``t > 0`` in
exact arithmetic (Ferris 1991; Bertsekas, *Convex Optimization Algorithms* 2015, §5.1): once
``|x_{k+1} - x_k| / t`` (a subgradient of ``F`` at ``x_{k+1}``) is below the sharpness constant,
``x_{k+1}`` is optimal. Subproblems are solved inexactly, to a conservation residual ``|A x - b|_2
<= max(tol, min(tol_0, 0.01 |x_k - x_{k-1}|_inf))`` (``tol_0 = 1e-3 max(1, |b|_inf)``): it shrinks
with the outer moves, which are summable (in the spirit of Rockafellar's criterion (A)), and the
run stops once a subproblem solved to ``tol`` moves the flows by at most ``tol min(1, t)`` (so the
subgradient ``|x_{k+1} - x_k| / t`` is at most ``tol`` too) and the duality gap ``cost - q(lam)``
is at most ``tol (1 + |cost|)`` (left out where ``q(lam) = -inf``). A small move alone proves
nothing: it is about ``t`` times a subgradient, tiny for a tiny ``t`` at a flow far from optimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from catopt.engines.checkpoint import Checkpointer, load_checkpoint
from catopt.engines.results import SolveResult
from catopt.engines.systems import run_system
from catopt.errors import NetworkError, RunInterrupted
from catopt.functor.decomposition import (
    dual_decomposition,
    recover_flows,
    standard_dual_decomposition,
)
from catopt.problems.flow_proximal import check_bounded, proximal_network
from catopt.problems.flows import OpenFlowNetwork
from catopt.validate import integer, number

__all__ = ["proximal_dual_decomposition", "FlowSolution", "flow_cost", "flow_dual_value"]


@dataclass
class FlowSolution:
    """The result of :func:`proximal_dual_decomposition`.

    Attributes
    ----------
    flows
        One flow per edge, leaves in order (as :func:`~catopt.recover_flows`).
    multipliers
        The node multipliers of the last subproblem (an optimal dual solution of the network
        once the method has converged), in the network's node order.
    cost
        ``sum_e c_e(flows_e)``.
    dual_value
        The network's dual function at ``multipliers`` (a lower bound on every feasible cost by
        weak duality; ``-inf`` where a linear edge without the capacity its reduced cost points
        to makes it unbounded).
    conservation
        ``max |A flows - b|``.
    outer_iterations, inner_steps
        Proximal steps taken, and dual-decomposition steps summed over them.
    converged, message
        Whether the stopping rule of ``tol`` held (the last subproblem's residual, the last
        move and move over ``t``, and the duality gap where the dual value is finite: see
        :func:`proximal_dual_decomposition`), and why the run stopped.
    moves
        ``|x_{k+1} - x_k|_inf`` of each outer iteration.
    t, step
        The proximal step and the dual step used.
    last
        The driver's result of the last subproblem.
    """

    flows: np.ndarray
    multipliers: np.ndarray
    cost: float
    dual_value: float
    conservation: float
    outer_iterations: int
    inner_steps: int
    converged: bool
    message: str
    moves: list[float] = field(default_factory=list)
    t: float = 1.0
    step: float = 1.0
    last: SolveResult | None = None


def flow_cost(net: OpenFlowNetwork, flows: Any) -> float:
    """``sum_e c_e(x_e)`` for flows given one per edge, leaves in order."""
    x = net.edge_vector(flows, "flows")
    offs = net.edge_offsets
    return float(sum(np.sum(leaf.edge_cost(x[offs[k]:offs[k + 1]]))
                     for k, leaf in enumerate(net.leaves)))


def flow_dual_value(net: OpenFlowNetwork, lam: Any) -> float:
    """The dual function ``q(lam) = sum_e min_{l_e <= x <= h_e} (c_e(x) + (A' lam)_e x) -
    lam' b`` of the network: a lower bound on the cost of every feasible flow (weak duality),
    equal to the optimal cost at an optimal ``lam``; ``-inf`` where a linear edge's reduced
    cost points to a missing capacity."""
    lam = net.node_vector(lam, "lam")
    src, tgt = net.edges()
    s = lam[src] - lam[tgt]
    offs = net.edge_offsets
    total = -float(lam @ net.supply())
    for k, leaf in enumerate(net.leaves):
        sk = s[offs[k]:offs[k + 1]]
        if leaf.cost is None:
            lin = leaf.a == 0
            slope = leaf.beta + sk
            if np.any(lin & (((slope > 0) & ~np.isfinite(leaf.lower))
                             | ((slope < 0) & ~np.isfinite(leaf.upper)))):
                return -np.inf
        x = leaf.argmin(sk)
        total += float(np.sum(leaf.edge_cost(x)) + sk @ x)
    return total


def _default_t(net: OpenFlowNetwork) -> float:
    """``t = 10 w / c``: ``w`` the largest finite capacity width (else 1) and ``c`` the largest
    edge slope ``|beta|`` (else 1), so that a proximal step can move a flow across its
    capacity range for a cost change of ``c``."""
    lo, hi, beta = net.edge_data("lower"), net.edge_data("upper"), net.edge_data("beta")
    width = hi - lo
    finite = width[np.isfinite(width) & (width > 0)]
    w = float(finite.max()) if finite.size else 1.0
    c = float(np.abs(beta).max()) if beta.size and np.abs(beta).max() > 0 else 1.0
    return 10.0 * w / c


def _dual_step(net: OpenFlowNetwork, t: float) -> float:
    """``1.9 / L`` with ``L`` a bound on the Lipschitz constant of the proximal subproblem's
    dual gradient ``A x(lam) - b``: ``x_e`` moves at most ``k_e = 1 / (2 a_e + 1/t) <= t`` per
    unit of its reduced cost, so ``L <= max_e k_e * lam_max(A A')``, and by Gershgorin on
    ``A'A`` the Laplacian's ``lam_max(A A') <= max_{e=(u,v)} (deg u + deg v)`` (self-loops
    left out)."""
    src, tgt = net.edges()
    real = src != tgt
    if not real.any():
        return 1.0
    deg = np.bincount(src[real], minlength=net.n) + np.bincount(tgt[real], minlength=net.n)
    lap = float(np.max(deg[src[real]] + deg[tgt[real]]))
    general = np.repeat(np.array([leaf.cost is not None for leaf in net.leaves], dtype=bool),
                        np.diff(net.edge_offsets))
    a = np.where(general, 0.0, net.edge_data("a"))
    kappa = float(np.max(1.0 / (2 * a + 1.0 / t)))
    return 1.9 / (kappa * lap)


def _fingerprints(net: OpenFlowNetwork, t: float, step: float, tol: float,
                  standard: bool) -> dict[str, str]:
    """What a resumed run must share with the saved one: the network (structure and data),
    and the method's parameters."""
    import hashlib

    def sha(*arrays: Any) -> str:
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(np.asarray(a, dtype=float)).tobytes())
            h.update(b"|")
        return h.hexdigest()

    src, tgt = net.edges()
    data = [net.edge_data(k) for k in ("a", "beta", "lower", "upper")]
    return {"network": sha(src, tgt, net.supply(), *data),
            "method": sha([t, step, tol, float(standard)])}


def proximal_dual_decomposition(net: OpenFlowNetwork, t: Any = None, *, tol: float = 1e-9,
                                outer: int = 1000, steps: int = 200000, step: Any = None,
                                standard: bool = False, engine: str = "local",
                                workers: int | None = None, checkpoint: Any = None,
                                resume: Any = None, **options: Any) -> FlowSolution:
    """The minimum-cost flow of ``net`` by the proximal point method, each proximal
    subproblem solved by dual decomposition (see the module doc).

    Parameters
    ----------
    net
        A (composite) flow network; edge costs may be linear (``a = 0``), quadratic or general.
    t
        The proximal step (positive; default ``10 w / c`` from the capacity widths and the
        cost slopes, see :func:`_default_t`). In exact arithmetic any ``t > 0`` terminates
        finitely at an optimal flow; in floating point a tiny ``t`` moves the flows by about
        ``t`` times a subgradient per outer step, so it needs many outer steps (and may stop
        at ``outer`` with ``converged`` False). A larger ``t`` takes fewer outer iterations
        and more dual steps per subproblem.
    tol
        Stop, converged, once the last subproblem's conservation residual ``|A x - b|_2`` is
        at most ``tol``, the outer move ``|x_{k+1} - x_k|_inf`` is at most ``tol`` and so is
        ``|x_{k+1} - x_k|_inf / t`` (a subgradient of ``F`` at ``x_{k+1}``), and the duality
        gap ``cost - dual_value`` is at most ``tol (1 + |cost|)``; where the dual value is
        ``-inf`` (a linear edge without the capacity its reduced cost points to), the gap
        test is left out and the message says so.
    outer, steps
        The most outer iterations, and the most dual steps per subproblem.
    step
        The dual step (default ``1.9 / L``, ``L`` a bound on the dual gradient's Lipschitz
        constant, see :func:`_dual_step`).
    standard
        Run standard dual decomposition (the composite flattened into one network) instead of
        the hierarchical one (one leaf per subnetwork); the iterates are the same.
    engine, workers, options
        As :func:`~catopt.engines.systems.run_system`, for every subproblem.
    checkpoint
        A folder: after every outer iteration (and when Ctrl-C or SIGTERM stops a
        subproblem) the flows, multipliers and outer histories are saved there.
    resume
        A folder (or ``.npz``) holding such a checkpoint of the same network, ``t`` and dual
        step: the run continues from it to the same result as an uninterrupted run (``outer``
        counts the saved iterations too).

    Raises
    ------
    NetworkError
        When a cycle of linear edges without capacities makes the cost unbounded below
        (:func:`~catopt.problems.flow_proximal.check_bounded`).
    CatoptError
        For a non-positive ``t``, ``tol``, ``step``, ``outer`` or ``steps``.
    RunInterrupted
        When Ctrl-C or SIGTERM stops a subproblem: with ``checkpoint``, the last finished
        outer iteration is saved and the message says how to resume.
    """
    if not isinstance(net, OpenFlowNetwork):
        raise NetworkError(f"proximal_dual_decomposition takes an OpenFlowNetwork, got "
                           f"{type(net).__name__}")
    tv = _default_t(net) if t is None else number(t, "t (the proximal step)", positive=True)
    tol = number(tol, "tol", positive=True)
    outer = integer(outer, "outer", minimum=1)
    steps = integer(steps, "steps", minimum=1)
    eta = _dual_step(net, tv) if step is None else \
        number(step, "step (the dual step)", positive=True)
    check_bounded(net)
    make = standard_dual_decomposition if standard else dual_decomposition
    lo, hi = net.edge_data("lower"), net.edge_data("upper")
    x = np.clip(np.zeros(net.n_edges), lo, hi)
    lam = np.zeros(net.n)
    b = net.supply()
    tol0 = max(tol, 1e-3 * max(1.0, float(np.abs(b).max(initial=0.0))))
    moves: list[float] = []
    inner = 0
    converged = False
    message = f"ran all {outer} outer iterations"
    res: SolveResult | None = None
    k = first = 0
    saver = None
    if checkpoint is not None or resume is not None:
        fps = _fingerprints(net, tv, eta, tol, standard)
        if resume is not None:
            ck = load_checkpoint(resume, fps, net.n_edges + net.n)
            x, lam = ck.x[:net.n_edges].copy(), ck.x[net.n_edges:].copy()
            k = first = ck.iteration
            moves, inner = list(ck.history), int(ck.meta.get("inner", 0))
            checkpoint = ck.path if checkpoint is None else checkpoint
        saver = Checkpointer(checkpoint, 0, fps)

    def save(done: int) -> Any:
        return None if saver is None else saver.save(
            np.concatenate([x, lam]), done, flow_cost(net, x), moves, moves,
            {"inner": inner, "method": "proximal dual decomposition"})

    for k in range(first + 1, int(outer) + 1):
        tol_k = tol0 if not moves else max(tol, min(tol0, 0.01 * moves[-1]))
        prox = proximal_network(net, tv, x)
        system = make(prox, eta, carry_primal=False)
        try:
            res = run_system(system, lam, int(steps), step=eta, tol=tol_k, engine=engine,
                             workers=workers, **options)
        except RunInterrupted as stop:
            path = save(k - 1)
            where = (f"checkpoint saved to {path}: resume with proximal_dual_decomposition("
                     f"..., resume={str(path.parent)!r})" if path is not None else
                     "no checkpoint was saved (pass checkpoint=DIR to be able to resume)")
            raise RunInterrupted(f"stopped in proximal step {k}; {where}", iteration=k - 1,
                                 checkpoint=path, x=x.copy(), signal=stop.signal) from None
        inner += res.iterations
        lam = res.x
        new = recover_flows(prox, lam)
        moves.append(float(np.max(np.abs(new - x), initial=0.0)))
        x = new
        save(k)
        if not res.converged:
            message = (f"proximal subproblem {k} did not reach a conservation residual "
                       f"{tol_k:.3g} in {steps} dual steps (it is {res.grad_norm:.3g}): raise "
                       "steps, or the capacities may leave no feasible flow")
            break
        if tol_k <= tol and moves[-1] <= tol * min(1.0, tv):
            # |x_{k+1} - x_k| / t is a subgradient of F at x_{k+1}: small, it says x_{k+1} is
            # (near) stationary; the duality gap certifies it where the dual value is finite
            cost, dual = flow_cost(net, x), flow_dual_value(net, lam)
            gap = cost - dual
            if np.isfinite(dual) and gap > tol * (1.0 + abs(cost)):
                continue  # stationary to tol but not optimal to tol: keep stepping
            converged = True
            certified = (f"duality gap {gap:.3g}" if np.isfinite(dual) else
                         "dual value -inf (a linear edge without the capacity its reduced "
                         "cost points to), so no gap certificate")
            message = (f"converged: outer move {moves[-1]:.3g} (over t: {moves[-1] / tv:.3g}), "
                       f"conservation residual {res.grad_norm:.3g} <= tol {tol:g}; "
                       f"{certified}")
            break
    if not converged and message.startswith("ran all") and moves and moves[-1] > tol * tv:
        message += (f"; the last outer move over t is {moves[-1] / tv:.3g} > tol: a small t "
                    f"(t = {tv:g}) moves the flows slowly, raise t or outer")
    residual = net.incidence() @ x - b
    return FlowSolution(
        flows=x, multipliers=lam, cost=flow_cost(net, x), dual_value=flow_dual_value(net, lam),
        conservation=float(np.max(np.abs(residual), initial=0.0)), outer_iterations=k,
        inner_steps=inner, converged=converged, message=message, moves=moves, t=tv, step=eta,
        last=res)
