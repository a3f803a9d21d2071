"""Decentralized optimization on the constant sheaf: every agent keeps a copy of the shared
variables and talks only to its graph neighbours.

The problem is ``min sum_i f_i(s, p_i)`` over shared variables ``s`` (dimension ``d``) and
private variables ``p_i``. Agent ``i`` holds a copy ``s_i``; the copies must form a global
section of the constant sheaf ``R^d`` on the communication graph (consensus). Mixing uses
``W = I - eps L`` with ``L`` the graph Laplacian (the constant sheaf's Laplacian is
``L (x) I_d``) and ``eps = 1 / (1 + max degree)``: ``W`` is symmetric, doubly stochastic and
its nonzeros follow the graph, so ``W S`` is one round of neighbour messages.

- :func:`dgd` (decentralized gradient descent, Nedic-Ozdaglar):
  ``s_i <- sum_j W_ij s_j - alpha n g_i(s_i)``. With a constant step it converges only to a
  neighbourhood of the solution: its fixed points satisfy ``alpha n g = (I - W) S``, which is
  not consensus unless the local gradients agree.
- :func:`gradient_tracking` (DIGing, Nedic-Olshevsky-Shi 2017):
  ``s <- W s - alpha y``, ``y <- W y + n (g(s_new) - g(s_old))`` with ``y_0 = n g(s_0)``. The
  average of ``y`` is always the sum of the current local gradients, so at a fixed point the
  copies agree and ``sum_i g_i = 0``: **exact** convergence with a constant step (linear for
  strongly convex smooth ``f``).

The shared step is scaled by ``n`` (``y`` tracks the *sum* of the gradients) so that, once the
copies agree, both methods take the same step as gradient descent on the exactly shared
problem (the UWD composite). Private variables take plain local gradient steps.
Communication: one round = every agent sends its vector to each neighbour (``2 |E|`` messages);
DGD uses one round per iteration, gradient tracking two. Each iteration calls every local
gradient once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from catopt.functor.euler import euler_step
from catopt.sheaves.errors import SheafError
from catopt.sheaves.sheaf import Sheaf

__all__ = ["mixing_matrix", "DecentralizedResult", "dgd", "gradient_tracking"]

LocalGrad = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def mixing_matrix(n: int, edges: Sequence[tuple[int, int]]) -> Any:
    """``W = I - L / (1 + max degree)`` (scipy.sparse CSR) for the graph on ``n`` vertices,
    built from the constant sheaf ``R^1``'s Laplacian."""
    import scipy.sparse as sp

    if n < 1:
        raise SheafError(f"mixing_matrix: need at least one agent, got n = {n}")
    if len(edges) == 0:
        return sp.identity(n, format="csr")
    L = Sheaf.constant(n, list(edges), 1).laplacian()
    deg = np.asarray(L.diagonal())
    return (sp.identity(n) - L / (1.0 + deg.max())).tocsr()


@dataclass
class DecentralizedResult:
    """Final copies ``S`` (``n x d``), private variables ``P`` (list), iterations, and the
    counts: communication ``rounds``, point-to-point ``messages``, local ``gradient_calls``;
    ``history`` holds ``monitor(S, P)`` after each iteration when a monitor is given."""

    S: np.ndarray
    P: list[np.ndarray]
    iterations: int = 0
    rounds: int = 0
    messages: int = 0
    gradient_calls: int = 0
    history: list[float] = field(default_factory=list)


def _setup(grads: Sequence[LocalGrad], edges: Sequence[tuple[int, int]], s0: Any,
           p0: Sequence[Any] | None, step: float) -> tuple[Any, np.ndarray, list[np.ndarray]]:
    n = len(grads)
    if n == 0:
        raise SheafError("decentralized: no agents (grads is empty)")
    for i, g in enumerate(grads):
        if not callable(g):
            raise SheafError(f"decentralized: grads[{i}] is not callable")
    for e in edges:
        if len(e) != 2 or not all(0 <= int(v) < n for v in e):
            raise SheafError(f"decentralized: edge {e!r} must join two of the {n} agents")
    if not (np.isfinite(step) and step > 0):
        raise SheafError(f"decentralized: step must be a positive number, got {step!r}")
    s0 = np.asarray(s0, dtype=float)
    S = np.tile(s0.ravel(), (n, 1)) if s0.ndim <= 1 or s0.shape[0] != n else s0.reshape(n, -1)
    P = [np.zeros(0) if p0 is None else np.asarray(p0[i], dtype=float).ravel().copy()
         for i in range(n)]
    return mixing_matrix(n, edges), S.astype(float).copy(), P


def _grads(grads: Sequence[LocalGrad], S: np.ndarray, P: list[np.ndarray]
           ) -> tuple[np.ndarray, list[np.ndarray]]:
    G, GP = np.empty_like(S), []
    for i, g in enumerate(grads):  # one local gradient per agent, in parallel in principle
        gs, gp = g(S[i], P[i])
        G[i] = np.asarray(gs, dtype=float).ravel()
        GP.append(np.asarray(gp, dtype=float).ravel())
    return G, GP


def dgd(grads: Sequence[LocalGrad], edges: Sequence[tuple[int, int]], s0: Any, *,
        p0: Sequence[Any] | None = None, step: float, iters: int,
        monitor: Callable[[np.ndarray, list[np.ndarray]], float] | None = None
        ) -> DecentralizedResult:
    """Decentralized gradient descent (module docstring). ``grads[i](s_i, p_i)`` returns agent
    ``i``'s gradients with respect to its copy of the shared variables and its private ones;
    ``s0`` is one initial point (copied to every agent) or ``n`` rows."""
    W, S, P = _setup(grads, edges, s0, p0, step)
    n, m = len(grads), 2 * len(edges)
    res = DecentralizedResult(S, P)
    for _ in range(int(iters)):
        G, GP = _grads(grads, S, P)
        S = euler_step(W @ S, step, -n * G)  # mix with the neighbours, then step
        P = [euler_step(p, step, -gp) for p, gp in zip(P, GP, strict=True)]
        res.iterations += 1
        res.rounds += 1
        res.messages += m
        res.gradient_calls += n
        if monitor is not None:
            res.history.append(float(monitor(S, P)))
    res.S, res.P = S, P
    return res


def gradient_tracking(grads: Sequence[LocalGrad], edges: Sequence[tuple[int, int]], s0: Any,
                      *, p0: Sequence[Any] | None = None, step: float, iters: int,
                      monitor: Callable[[np.ndarray, list[np.ndarray]], float] | None = None
                      ) -> DecentralizedResult:
    """Gradient tracking (DIGing; module docstring): exact convergence with a constant step."""
    W, S, P = _setup(grads, edges, s0, p0, step)
    n, m = len(grads), 2 * len(edges)
    G, GP = _grads(grads, S, P)
    Y = n * G
    res = DecentralizedResult(S, P, gradient_calls=n)
    for _ in range(int(iters)):
        S = euler_step(W @ S, step, -Y)
        P = [euler_step(p, step, -gp) for p, gp in zip(P, GP, strict=True)]
        G_new, GP = _grads(grads, S, P)
        Y = W @ Y + n * (G_new - G)
        G = G_new
        res.iterations += 1
        res.rounds += 2
        res.messages += 2 * m
        res.gradient_calls += n
        if monitor is not None:
            res.history.append(float(monitor(S, P)))
    res.S, res.P = S, P
    return res
