"""Decentralized optimization on the constant sheaf: every agent keeps a copy of the shared
variables and talks only to its graph neighbours.

The problem is ``min sum_i f_i(s, p_i)`` over shared variables ``s`` (dimension ``d``) and
private variables ``p_i``. Agent ``i`` holds a copy ``s_i``; the copies must form a global
section of the constant sheaf ``R^d`` on the communication graph (consensus). Mixing uses a
symmetric, doubly stochastic ``W`` whose off-diagonal nonzeros follow the graph
(:func:`mixing_matrix`), so ``W S`` is one round of neighbour messages.

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

Both run as one composite: :func:`decentralized_system` makes each agent an open discrete
system reading its neighbours' junctions and changing only its own, composed along the
communication graph, and :func:`~catopt.engines.systems.run_system` (the one driver) runs it,
locally or on MPI.

Counting. One communication round = every agent sends one message to each neighbour:
``2 |E|`` messages (``2 n`` on a ring of ``n >= 3`` agents). DGD sends ``s_i`` (``d`` numbers)
once per iteration. Gradient tracking also needs one round per iteration: both ``W S`` and
``W Y`` use the values of the same iteration, so each message carries ``(s_i, y_i)``
(``2 d`` numbers). Each iteration calls every local gradient once (gradient tracking once more
at the start, for ``y_0``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from catopt.algebra.protocol import compose
from catopt.engines.systems import run_system
from catopt.functor.euler import euler_step
from catopt.sheaves.errors import SheafError
from catopt.sheaves.sheaf import Sheaf
from catopt.systems.open_system import OpenDiscreteSystem
from catopt.validate import integer, number, sequence, vector
from catopt.wiring.builder import UWDBuilder

__all__ = ["ring", "random_connected_graph", "mixing_matrix", "DecentralizedResult", "dgd",
           "gradient_tracking", "decentralized_system"]

LocalGrad = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

#: the weight rules :func:`mixing_matrix` knows
MIXINGS = ("max-degree", "metropolis", "lazy-metropolis")


def _edges(n: int, edges: Sequence[Any], who: str) -> np.ndarray:
    """The edges as an ``m x 2`` integer array; each must join two distinct agents among
    ``0..n-1``, once."""
    edges = sequence(edges, f"{who}: edges", error=SheafError,
                     expected="a sequence of pairs (u, v) of agent indices")
    out = np.zeros((len(edges), 2), dtype=np.int64)
    seen: set[tuple[int, int]] = set()
    for k, e in enumerate(edges):
        try:
            u, v = (int(w) for w in e)
        except (TypeError, ValueError):
            raise SheafError(f"{who}: edge {e!r} must be a pair of agent indices") from None
        if not (0 <= u < n and 0 <= v < n):
            raise SheafError(f"{who}: edge {e!r} must join two of the {n} agents")
        if u == v:
            raise SheafError(f"{who}: edge {e!r} is a self-loop")
        if (min(u, v), max(u, v)) in seen:
            raise SheafError(f"{who}: edge {e!r} is listed twice")
        seen.add((min(u, v), max(u, v)))
        out[k] = u, v
    return out


def ring(n: int) -> list[tuple[int, int]]:
    """The ring (cycle) ``0 - 1 - ... - (n-1) - 0``: ``n`` edges for ``n >= 3``, one edge
    for ``n = 2``, none for ``n = 1``."""
    if int(n) < 1:
        raise SheafError(f"ring: need at least one agent, got n = {n}")
    n = int(n)
    if n == 2:
        return [(0, 1)]
    return [(i, (i + 1) % n) for i in range(n)] if n >= 3 else []


def random_connected_graph(n: int, p: float, seed: int | np.random.Generator = 0,
                           max_tries: int = 1000) -> list[tuple[int, int]]:
    """An Erdős–Rényi graph ``G(n, p)`` (each of the ``n (n-1) / 2`` pairs an edge with
    probability ``p``, independently), resampled until it is connected.

    Parameters
    ----------
    n
        Number of agents.
    p
        Edge probability, in ``(0, 1]``.
    seed
        Seed or generator of the samples.
    max_tries
        How many graphs to draw before giving up (a ``SheafError`` then: ``p`` too small).

    Returns
    -------
    list[tuple[int, int]]
        The edges ``(u, v)`` with ``u < v``, in lexicographic order.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if int(n) < 1:
        raise SheafError(f"random_connected_graph: need at least one agent, got n = {n}")
    if not (0 < p <= 1):
        raise SheafError(f"random_connected_graph: p must lie in (0, 1], got {p!r}")
    n = int(n)
    rng = np.random.default_rng(seed)
    iu, ju = np.triu_indices(n, k=1)
    for _ in range(int(max_tries)):
        keep = rng.random(len(iu)) < p
        u, v = iu[keep], ju[keep]
        adj = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        if connected_components(adj, directed=False)[0] == 1:
            return [(int(a), int(b)) for a, b in zip(u, v, strict=True)]
    raise SheafError(f"random_connected_graph: no connected G({n}, {p}) in {max_tries} draws; "
                     f"raise p")


def mixing_matrix(n: int, edges: Sequence[tuple[int, int]], kind: str = "max-degree") -> Any:
    """A symmetric, doubly stochastic mixing matrix on the graph (scipy.sparse CSR).

    Parameters
    ----------
    n
        Number of agents.
    edges
        The graph's edges ``(u, v)``, each pair once.
    kind
        ``"max-degree"``: ``W = I - L / (1 + max degree)`` with ``L`` the constant sheaf
        ``R^1``'s Laplacian (the graph Laplacian). ``"metropolis"`` (Metropolis-Hastings):
        ``W_uv = 1 / (1 + max(deg u, deg v))`` on each edge, the rest of each row on the
        diagonal. ``"lazy-metropolis"``: ``(I + W_metropolis) / 2``, whose eigenvalues lie in
        ``[0, 1]`` (the others' can reach below 0, which limits the step of
        gradient tracking).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``W``: ``W 1 = 1``, ``W = W^T``, ``W_uv != 0`` off the diagonal only on edges.
    """
    import scipy.sparse as sp

    if int(n) < 1:
        raise SheafError(f"mixing_matrix: need at least one agent, got n = {n}")
    if kind not in MIXINGS:
        raise SheafError(f"mixing_matrix: kind must be one of {MIXINGS}, got {kind!r}")
    n = int(n)
    e = _edges(n, edges, "mixing_matrix")
    if len(e) == 0:
        return sp.identity(n, format="csr")
    if kind == "max-degree":
        L = Sheaf.constant(n, [tuple(x) for x in e], 1).laplacian()
        deg = np.asarray(L.diagonal())
        return (sp.identity(n) - L / (1.0 + deg.max())).tocsr()
    deg = np.bincount(e.ravel(), minlength=n)
    w = 1.0 / (1.0 + np.maximum(deg[e[:, 0]], deg[e[:, 1]]))
    off = sp.coo_matrix((np.concatenate([w, w]), (np.concatenate([e[:, 0], e[:, 1]]),
                                                   np.concatenate([e[:, 1], e[:, 0]]))),
                        shape=(n, n)).tocsr()
    W = off + sp.diags(1.0 - np.asarray(off.sum(axis=1)).ravel())
    if kind == "lazy-metropolis":
        W = (sp.identity(n) + W) / 2
    return W.tocsr()


@dataclass
class DecentralizedResult:
    """What a decentralized run returns.

    Attributes
    ----------
    S
        Final copies of the shared variables, one row per agent (``n x d``).
    P
        Final private variables, one array per agent.
    iterations
        Iterations taken.
    rounds
        Communication rounds (every agent messages each neighbour once per round).
    messages
        Point-to-point messages: ``2 |E|`` per round.
    floats
        Numbers sent in all messages together (``d`` per DGD message, ``2 d`` per gradient
        tracking message).
    gradient_calls
        Local gradient evaluations, all agents together.
    history
        ``monitor(S, P)`` after each iteration, when a monitor is given.
    """

    S: np.ndarray
    P: list[np.ndarray]
    iterations: int = 0
    rounds: int = 0
    messages: int = 0
    floats: int = 0
    gradient_calls: int = 0
    history: list[float] = field(default_factory=list)


def _grads(grads: Any) -> list[LocalGrad]:
    """``grads`` as a non-empty list of callables, or a SheafError naming it."""
    grads = sequence(grads, "decentralized: grads", error=SheafError,
                     expected="a sequence of callables grads[i](s, p)")
    if not grads:
        raise SheafError("decentralized: no agents (grads is empty)")
    for i, g in enumerate(grads):
        if not callable(g):
            raise SheafError(f"decentralized: grads[{i}] is not callable")
    return grads


def _shared(s0: Any, n: int) -> np.ndarray:
    """The initial copies ``(n, d)``: one finite point of dimension ``d >= 1`` copied to every
    agent, or exactly ``n`` rows."""
    want = f"one point (a vector of d >= 1 numbers) or {n} rows of them"
    try:
        S = np.array(s0, dtype=float)
    except (TypeError, ValueError):
        raise SheafError(f"decentralized: s0 must be {want}, got {s0!r}"[:300]) from None
    if S.ndim == 1 and S.size >= 1:
        S = np.tile(S, (n, 1))
    elif not (S.ndim == 2 and S.shape[0] == n and S.shape[1] >= 1):
        raise SheafError(f"decentralized: s0 must be {want}, got shape {S.shape}")
    if not np.isfinite(S).all():
        raise SheafError(f"decentralized: s0 must be finite, got {s0!r}"[:300])
    return S


def _private(p0: Any, n: int) -> list[np.ndarray]:
    """The initial private variables: None (none) or ``n`` finite vectors."""
    if p0 is None:
        return [np.zeros(0) for _ in range(n)]
    p0 = sequence(p0, "decentralized: p0", error=SheafError,
                  expected=f"None or a sequence of {n} vectors (one per agent)")
    if len(p0) != n:
        raise SheafError(f"decentralized: p0 has {len(p0)} entries for {n} agents")
    return [vector(p, f"decentralized: p0[{i}]", flatten=True, error=SheafError)
            for i, p in enumerate(p0)]


def _setup(grads: Sequence[LocalGrad], edges: Sequence[tuple[int, int]], s0: Any,
           p0: Sequence[Any] | None, step: float, mixing: str
           ) -> tuple[Any, np.ndarray, list[np.ndarray], np.ndarray, float]:
    n = len(grads)
    e = _edges(n, edges, "decentralized")
    step = number(step, "decentralized: step", positive=True, error=SheafError)
    S = _shared(s0, n)
    P = _private(p0, n)
    W = mixing_matrix(n, [tuple(x) for x in e], mixing)
    return W, S, P, e, step


def _local_grad(grad: LocalGrad, i: int, s: np.ndarray, p: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Agent ``i``'s gradients as flat float vectors of the right lengths."""
    out = grad(s, p)
    try:
        gs, gp = out
        gs = np.asarray(gs, dtype=float).ravel()
        gp = np.asarray(gp, dtype=float).ravel()
    except (TypeError, ValueError):
        raise SheafError(f"decentralized: grads[{i}] must return a pair (gradient with "
                         f"respect to s, gradient with respect to p) of vectors of lengths "
                         f"({s.size}, {p.size}), got {out!r}"[:300]) from None
    if gs.shape != s.shape or gp.shape != p.shape:
        raise SheafError(f"decentralized: grads[{i}] returned gradients of lengths "
                         f"({gs.size}, {gp.size}); agent {i}'s copy and private variables "
                         f"have lengths ({s.size}, {p.size})")
    return gs, gp


def _agent(i: int, grad: LocalGrad, w: np.ndarray, d: int, q: int, n: int, step: float,
           tracking: bool, neighbours: int) -> tuple[Callable[[np.ndarray], np.ndarray], dict]:
    """Agent ``i``'s update on its local state and the state's layout.

    The local state is its own copy (and tracker), then its neighbours' (read only: the
    update leaves them as they are, so its increment there is 0), then what only it holds:
    for gradient tracking its last local gradient ``g``, ``gp``; then its private ``p``.
    ``w`` holds its row of the mixing matrix, its own weight first.
    """
    k = 2 if tracking else 1  # numbers per agent and coordinate in the mixed block
    mixed = (1 + neighbours) * k * d
    layout: dict[str, tuple[int, ...]] = {"s": (d,)}
    if tracking:
        layout["y"] = (d,)
    for j in range(neighbours):
        layout[f"s{j}"] = (d,)
        if tracking:
            layout[f"y{j}"] = (d,)
    if tracking:
        layout["g"] = (d,)
        if q:
            layout["gp"] = (q,)
    if q:
        layout["p"] = (q,)
    tail = mixed + (d + q if tracking else 0)  # where p starts

    def update(x: np.ndarray) -> np.ndarray:
        block = x[:mixed].reshape(1 + neighbours, k, d)
        new = x.copy()
        p = x[tail:tail + q]
        if tracking:  # DIGing: s <- W s - alpha y;  y <- W y + n (g(s_new) - g(s_old))
            s_new = euler_step(w @ block[:, 0], step, -block[0, 1])
            p_new = euler_step(p, step, -x[mixed + d:mixed + d + q])
            g_new, gp_new = _local_grad(grad, i, s_new, p_new)
            new[:d] = s_new
            new[d:2 * d] = w @ block[:, 1] + n * (g_new - x[mixed:mixed + d])
            new[mixed:mixed + d] = g_new
            new[mixed + d:mixed + d + q] = gp_new
        else:  # DGD: s <- W s - alpha n g(s, p)
            g, gp = _local_grad(grad, i, block[0, 0], p)
            new[:d] = euler_step(w @ block[:, 0], step, -n * g)
            p_new = euler_step(p, step, -gp)
        new[tail:tail + q] = p_new
        return new

    return update, layout


def decentralized_system(grads: Sequence[LocalGrad], edges: Sequence[tuple[int, int]],
                         s0: Any, *, p0: Sequence[Any] | None = None, step: float,
                         method: str = "gradient-tracking", mixing: str = "max-degree"
                         ) -> tuple[OpenDiscreteSystem, np.ndarray]:
    """A decentralized method as an open discrete system composed along the communication
    graph, and its initial state.

    Agent ``i`` is a box with ports on the junctions ``s{i}`` (its copy of the shared
    variables) and, for gradient tracking, ``y{i}`` (its tracker), and on its neighbours'
    junctions, which it reads and does not change; its last local gradient and its private
    variables are its own. So the composite's update is exactly one iteration of the method
    (the discrete algebra sums the agents' increments, and only the owner's is nonzero), and
    it runs through the one driver, locally or on MPI (where the neighbours' junctions are
    the messages of a round).

    Parameters
    ----------
    grads, edges, s0, p0, step, mixing
        As :func:`gradient_tracking`.
    method
        ``"gradient-tracking"`` or ``"dgd"``.

    Returns
    -------
    tuple
        The composite (an ``OpenDiscreteSystem``; its junctions ``s0 .. s{n-1}`` come first,
        then ``y0 .. y{n-1}``) and its initial state (``y_0 = n g(s_0)`` for gradient
        tracking).
    """
    if method not in ("gradient-tracking", "dgd"):
        raise SheafError(f"decentralized: method must be 'gradient-tracking' or 'dgd', got "
                         f"{method!r}")
    tracking = method == "gradient-tracking"
    grads = _grads(grads)
    W, S, P, _, step = _setup(grads, edges, s0, p0, step, mixing)
    n, d = S.shape
    W = W.tocsr()
    b = UWDBuilder()
    names = [f"s{i}" for i in range(n)] + ([f"y{i}" for i in range(n)] if tracking else [])
    for name in names:
        b.junction(name, (d,))
    G = [_local_grad(grad, i, S[i], P[i]) for i, grad in enumerate(grads)] if tracking \
        else []
    boxes, parts = {}, []
    for i, grad in enumerate(grads):
        row = slice(W.indptr[i], W.indptr[i + 1])
        cols, vals = W.indices[row], W.data[row]
        nbrs = [int(j) for j in cols if j != i]
        w = np.concatenate([vals[cols == i], [float(vals[cols == j][0]) for j in nbrs]])
        q = P[i].size
        update, layout = _agent(i, grad, w, d, q, n, float(step), tracking, len(nbrs))
        ports, local, x = [], [], []
        for k, j in enumerate([i] + nbrs):
            ports += [f"s{j}"] + ([f"y{j}"] if tracking else [])
            local += (["s", "y"] if tracking else ["s"]) if k == 0 else \
                [f"s{k - 1}"] + ([f"y{k - 1}"] if tracking else [])
            x += [S[j]] + ([n * G[j][0]] if tracking else [])
        if tracking:
            x += [G[i][0], G[i][1]]
        x += [P[i]]
        b.box(f"agent{i}", ports)
        boxes[f"agent{i}"] = OpenDiscreteSystem(update, layout, local, name=f"agent{i}")
        parts.append(np.concatenate([np.ravel(v) for v in x]))
    c = compose(b.build(), boxes)
    # every agent's local state agrees with the others' on the junctions they share, so
    # writing them all back gives the composite's initial state
    x0 = np.zeros(c.n)
    idx, offs = c.gather_index, c.program.offsets
    for k, part in enumerate(parts):
        x0[idx[offs[k]:offs[k] + part.size]] = part
    return c, x0


def _check_tol(monitor: Any, tol: float | None) -> None:
    if tol is not None:
        number(tol, "decentralized: tol", error=SheafError)
    if tol is not None and monitor is None:
        raise SheafError("decentralized: tol needs a monitor (the quantity to stop on)")


def _run(method: str, grads: Sequence[LocalGrad], edges: Sequence[tuple[int, int]], s0: Any,
         p0: Sequence[Any] | None, step: float, iters: int, mixing: str,
         monitor: Callable[[np.ndarray, list[np.ndarray]], float] | None, tol: float | None,
         options: dict[str, Any]) -> DecentralizedResult:
    """Run ``method``'s composite through :func:`~catopt.engines.systems.run_system` (the one
    driver: divergence, checkpoints, Ctrl-C, progress, MPI), the monitor as its callback."""
    _check_tol(monitor, tol)
    grads = _grads(grads)
    iters = integer(iters, "iters", minimum=0, error=SheafError)
    system, x0 = decentralized_system(grads, edges, s0, p0=p0, step=step, method=method,
                                      mixing=mixing)
    n = len(grads)
    sp = system.space
    d = int(sp.sizes[sp.index("s0")])  # the first agent's copy
    privates = [sp.slice(f"agent{i}.p") if f"agent{i}.p" in sp.names else slice(0, 0)
                for i in range(n)]

    def split(x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        return x[:n * d].reshape(n, d).copy(), [x[s].copy() for s in privates]

    history: list[float] = []

    def watch(t: int, x: np.ndarray, value: float, norm: float) -> bool:
        if t == 0:  # the monitor is recorded after each iteration
            return False
        history.append(float(monitor(*split(x))))  # type: ignore[misc]
        return tol is not None and history[-1] <= tol

    with np.errstate(over="ignore", invalid="ignore"):
        res = run_system(system, x0, iters, step=step,
                         callback=None if monitor is None else watch, **options)
    S, P = split(res.x)
    if monitor is not None and len(history) < res.iterations:  # the last state, unwatched
        history.append(float(monitor(S, P)))
    tracking = method == "gradient-tracking"
    m = 2 * len(_edges(n, edges, "decentralized"))
    t = res.iterations
    return DecentralizedResult(S, P, iterations=t, rounds=t, messages=m * t,
                               floats=m * t * d * (2 if tracking else 1),
                               gradient_calls=n * t + (n if tracking else 0), history=history)


def dgd(grads: Sequence[LocalGrad], edges: Sequence[tuple[int, int]], s0: Any, *,
        p0: Sequence[Any] | None = None, step: float, iters: int, mixing: str = "max-degree",
        monitor: Callable[[np.ndarray, list[np.ndarray]], float] | None = None,
        tol: float | None = None, **options: Any) -> DecentralizedResult:
    """Decentralized gradient descent: ``S <- W S - alpha n G(S)``, ``p_i <- p_i - alpha
    grad_p f_i``; one round of ``2 |E|`` messages of ``d`` numbers per iteration.

    Parameters
    ----------
    grads
        ``grads[i](s_i, p_i)`` returns agent ``i``'s gradients with respect to its copy of the
        shared variables and its private ones.
    edges
        The communication graph's edges ``(u, v)``, each pair once.
    s0
        One initial point of the shared variables (copied to every agent) or ``n`` rows.
    p0
        Initial private variables, one per agent (None: none).
    step
        The constant step ``alpha`` (the shared variables' step is ``alpha n`` on a local
        gradient, ``alpha`` on the tracked sum).
    iters
        The most iterations to take.
    mixing
        The weight rule of :func:`mixing_matrix`.
    monitor
        ``monitor(S, P)`` is recorded in ``history`` after each iteration.
    tol
        Stop once ``monitor`` returns at most ``tol`` (needs a monitor).
    options
        Passed to :func:`~catopt.engines.systems.run_system`: ``engine="mpi"`` and
        ``workers`` (each rank runs its agents, the neighbours' copies are the messages),
        ``checkpoint``, ``progress``.

    Returns
    -------
    DecentralizedResult
        The final copies and private variables with the counts of the run.

    Raises
    ------
    DivergenceError
        When the state becomes NaN or infinite (the step is too long); it carries the last
        finite state of the composite (:func:`decentralized_system`).
    """
    return _run("dgd", grads, edges, s0, p0, step, iters, mixing, monitor, tol, options)


def gradient_tracking(grads: Sequence[LocalGrad], edges: Sequence[tuple[int, int]], s0: Any,
                      *, p0: Sequence[Any] | None = None, step: float, iters: int,
                      mixing: str = "max-degree",
                      monitor: Callable[[np.ndarray, list[np.ndarray]], float] | None = None,
                      tol: float | None = None, **options: Any) -> DecentralizedResult:
    """Gradient tracking (DIGing): ``S <- W S - alpha Y``, ``Y <- W Y + n (G(S_new) -
    G(S_old))``, ``Y_0 = n G(S_0)``; exact convergence with a constant step. One round of
    ``2 |E|`` messages of ``2 d`` numbers (``s_i`` and ``y_i``) per iteration.

    Parameters
    ----------
    grads, edges, s0, p0, step, iters, mixing, monitor, tol, options
        As :func:`dgd`.

    Returns
    -------
    DecentralizedResult
        The final copies and private variables with the counts of the run.

    Raises
    ------
    DivergenceError
        When the state becomes NaN or infinite (the step is too long); it carries the last
        finite state of the composite (:func:`decentralized_system`).
    """
    return _run("gradient-tracking", grads, edges, s0, p0, step, iters, mixing, monitor, tol,
                options)
