"""Multi-agent model-predictive control over a sheaf (AO.jl's ``MultiAgentMPCProblem``).

Agent ``i`` has linear dynamics ``x+ = A x + B u`` and, over a horizon of ``N`` states
``x_0 .. x_{N-1}`` (``x_0`` its current state) and ``N - 1`` controls, the cost
``sum_k (x_k - xbar)^T Q (x_k - xbar) + u_k^T R u_k`` subject to ``lo <= u_k <= hi``. By
default (AO.jl, the paper's eq. (7)) the agents are coupled through their **terminal states**,
which must form a section: ``delta x_{N-1} = b`` (or minimize nonlinear edge potentials).
Each MPC step runs a few ADMM iterations whose x-step is every agent's QP with the extra term
``rho/2 |x_{N-1} - w|^2`` (solved by OSQP, set up once per agent and updated in place), then
applies each agent's first control.

``couple_from=k`` couples every planned state ``x_k .. x_{N-1}`` instead, through the horizon
sheaf (:mod:`catopt.sheaves.horizon`): ``delta x_t = b`` at each coupled step, the x-step term
is ``rho/2 sum_t |x_t - w_t|^2`` and the z-step projects each step's states. With a regulation
cost that pulls every agent to 0, the terminal coupling settles at a shrunk formation (the
offsets postponed to the end of each horizon), the trajectory coupling at the formation itself.
``penalty=M`` makes the z-step the prox of the exact penalty ``M sum_t dist(z_t, sections)``
(:mod:`catopt.sheaves.penalty`), whose dual stays bounded so that ``warm_dual=True`` can carry
it over (measured on the stationary formation: the hard projection with a restarted dual
settles at error 0.24, with a carried dual it diverges; the penalty with ``M`` above the
multiplier meets the offsets to 1.5e-5).

Unlike AO.jl (which restarts ``z`` and ``u`` at 0), ``z`` is warm-started from the previous MPC
step, shifted by the dynamics (``z_i <- A_i z_i``: the planned terminal state one step further
on, since the new horizon ends one step later; without the shift the stale ``z`` drags the
moving formation, which then stalls at an error of 1.3e-3; with several coupled steps each
moves one step on, ``z_t <- z_{t+1}``, and the last becomes ``A_i z_{N-1}``); the scaled dual
``u`` restarts at 0 every step, as in AO.jl: when the terminal coupling cannot be met within the
horizon (control bounds), a carried-over dual winds up without bound and the closed loop drifts
(measured). With ``warm_dual`` it is carried *unshifted*: a stationary plan's multipliers do
not change with the step, while shifting them moves the last step's multiplier (0 in the
regulation, which has no terminal stage cost) one step earlier (measured on the stationary
formation with a penalty on the whole horizon, M = 100 and 300: shifted, error 2.0e-3 at step
200 for both with the residual stuck at 0.045; unshifted, 1.2e-3 and 3.9e-3, still falling).
The terminal penalty is ``rho/2`` in both
the regulation and the tracking case (AO.jl uses ``rho`` in the tracking case; measured with
AO.jl's restart of ``z``: no change for consensus and the stationary formation, the moving
formation's error at step 400 0.12 instead of 0.17; not measured with the shifted warm start).

With edge potentials ``U`` (possibly nonconvex) the z-step is the *nonlinear heat-equation
projection*: ``z`` is the minimizer of ``U(delta z - b)`` reached by descending from
``w = x + u`` (L-BFGS standing in for the diffusion flow), so ``z`` lies exactly on the zero
set of ``U`` when its minimum is 0. AO.jl instead minimizes ``U(delta z) + |z - w|`` (a norm,
not squared), whose minimizer stops off that set where ``|grad (U o delta)| = 1``; together with
restarting ``z`` at 0 every step this leaves its flock about 5e-3 off the target distance
(its committed trajectories), while the flow projection with a warm ``z`` meets it to 1e-3.
This is a heuristic without convergence guarantee (the set is not convex).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from catopt.sheaves.errors import SheafError
from catopt.sheaves.sheaf import Sheaf
from catopt.validate import integer, number

__all__ = ["MPCAgent", "MPCResult", "run_mpc", "double_integrator"]


def double_integrator(dt: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The planar double integrator with state ``(p_x, v_x, p_y, v_y)`` (AO.jl's agents)."""
    A = np.array([[1, dt, 0, 0], [0, 1, 0, 0], [0, 0, 1, dt], [0, 0, 0, 1]], dtype=float)
    B = np.array([[0, 0], [dt, 0], [0, 0], [0, dt]], dtype=float)
    return A, B


class MPCAgent:
    """One agent's finite-horizon QP; ``prox(w, rho)`` returns its planned coupled states
    (the terminal state by default; :meth:`couple` chooses them).

    Parameters
    ----------
    A, B
        Dynamics ``x+ = A x + B u``.
    Q, R
        State and control weights (``Q`` PSD, ``R`` positive definite).
    horizon
        ``N``, the number of planned states (``N - 1`` controls).
    bounds
        ``(lo, hi)`` on every control component.
    x_target
        ``xbar`` (default 0: regulation).
    x0
        The current state.
    eps
        OSQP's absolute and relative tolerances; solution polishing (on) then solves the
        identified active set exactly.

    Attributes
    ----------
    x : numpy.ndarray
        The current state ``(nx,)``; :meth:`step` advances it.
    plan : numpy.ndarray
        The last planned trajectory ``x_0 .. x_{N-1}``, shape ``(N, nx)``, written by every
        :meth:`prox` (before the first: the current state held over the horizon).
    u_first : numpy.ndarray
        The first control of the last plan, ``(nu,)``, which :meth:`step` applies.
    coupled : tuple[int, ...]
        The planned states ``prox`` takes and returns (:meth:`couple`).
    solves : int
        How many QPs the agent has solved.

    Notes
    -----
    OSQP is used because it is a maintained, well-tested QP solver that is set up once per
    agent and then only updated (``q`` and the initial-state bounds change), warm-started,
    in a fraction of a millisecond for these sizes.
    """

    def __init__(self, A: Any, B: Any, Q: Any, R: Any, horizon: int,
                 bounds: tuple[float, float] = (-np.inf, np.inf), x_target: Any = None,
                 x0: Any = None, eps: float = 1e-6) -> None:
        self.A = np.atleast_2d(np.asarray(A, dtype=float))
        self.B = np.atleast_2d(np.asarray(B, dtype=float))
        nx, nu = self.B.shape
        if self.A.shape != (nx, nx):
            raise SheafError(f"MPCAgent: A has shape {self.A.shape} but B has {nx} rows")
        self.Q = np.atleast_2d(np.asarray(Q, dtype=float))
        self.R = np.atleast_2d(np.asarray(R, dtype=float))
        if self.Q.shape != (nx, nx) or self.R.shape != (nu, nu):
            raise SheafError(f"MPCAgent: Q must be {nx}x{nx} and R {nu}x{nu}, got "
                             f"{self.Q.shape} and {self.R.shape}")
        if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 2:
            raise SheafError(f"MPCAgent: horizon must be an int >= 2, got {horizon!r}")
        self.N, self.nx, self.nu = horizon, nx, nu
        self.lo, self.hi = float(bounds[0]), float(bounds[1])
        if not self.lo <= self.hi:
            raise SheafError(f"MPCAgent: bounds must have lo <= hi, got {bounds}")
        self.x_target = np.zeros(nx) if x_target is None else np.asarray(x_target, float)
        self.x = np.zeros(nx) if x0 is None else np.asarray(x0, dtype=float).copy()
        self.eps = eps
        self.u_first = np.zeros(nu)
        self.coupled = (horizon - 1,)  # the terminal state (AO.jl)
        self.plan = np.tile(self.x, (horizon, 1))
        self._solver: Any = None
        self._rho: float | None = None
        self.solves = 0

    def couple(self, first: int | None = None) -> None:
        """Couple the planned states ``x_first .. x_{N-1}`` (``None``: only the terminal
        state ``x_{N-1}``, the default). ``prox`` then takes and returns these states, stacked
        time-major (length ``(N - first) nx``); the QP is set up again on the next solve."""
        if first is None:
            first = self.N - 1
        if isinstance(first, bool) or not isinstance(first, (int, np.integer)) \
                or not 1 <= first <= self.N - 1:
            raise SheafError(f"MPCAgent.couple: first must be an int in 1..{self.N - 1} (x_0 "
                             f"is the current state, fixed), got {first!r}")
        self.coupled = tuple(range(int(first), self.N))
        self._solver, self._rho = None, None

    def _setup(self, rho: float) -> None:
        import osqp
        import scipy.sparse as sp

        N, nx, nu = self.N, self.nx, self.nu
        # stage cost on x_0 .. x_{N-2}; rho/2 |x_k - w_k|^2 on the coupled states
        stage = np.zeros(N)
        stage[:N - 1] = 1.0
        coupled = np.zeros(N)
        coupled[list(self.coupled)] = 1.0
        P = sp.block_diag([sp.kron(sp.diags(stage), 2 * self.Q)
                           + sp.kron(sp.diags(coupled), rho * sp.identity(nx)),
                           sp.kron(sp.identity(N - 1), 2 * self.R)], format="csc")
        # x_0 = x; x_{k+1} - A x_k - B u_k = 0; lo <= u <= hi
        Ax = sp.kron(sp.identity(N), -sp.identity(nx)) + sp.kron(sp.eye(N, k=-1), self.A)
        Bu = sp.kron(sp.vstack([sp.csc_matrix((1, N - 1)), sp.identity(N - 1)]), self.B)
        Aeq = sp.hstack([Ax, Bu])
        Aineq = sp.hstack([sp.csc_matrix(((N - 1) * nu, N * nx)), sp.identity((N - 1) * nu)])
        C = sp.vstack([Aeq, Aineq], format="csc")
        l, u = self._bounds()
        self._solver = osqp.OSQP()
        w0 = np.zeros(len(self.coupled) * nx)
        self._solver.setup(sp.triu(P, format="csc"), self._q(w0, rho), C, l, u, verbose=False,
                           eps_abs=self.eps, eps_rel=self.eps, polishing=True,
                           max_iter=200000, warm_starting=True)
        self._rho = rho

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        N, nx, nu = self.N, self.nx, self.nu
        leq = np.concatenate([-self.x, np.zeros((N - 1) * nx)])
        return (np.concatenate([leq, np.full((N - 1) * nu, self.lo)]),
                np.concatenate([leq, np.full((N - 1) * nu, self.hi)]))

    def _q(self, w: np.ndarray, rho: float) -> np.ndarray:
        qx = np.zeros((self.N, self.nx))
        qx[:self.N - 1] = -2 * self.Q @ self.x_target
        qx[list(self.coupled)] -= rho * w.reshape(len(self.coupled), self.nx)
        return np.concatenate([qx.ravel(), np.zeros((self.N - 1) * self.nu)])

    def prox(self, w: np.ndarray, rho: float) -> np.ndarray:
        """``argmin`` of the QP plus ``rho/2 sum_k |x_k - w_k|^2`` over the coupled states
        (default: the terminal one): the planned coupled states, stacked time-major (the
        first control is kept in ``u_first``)."""
        w = np.asarray(w, dtype=float).ravel()
        if w.shape != (len(self.coupled) * self.nx,):
            raise SheafError(f"MPCAgent.prox: w must have length {len(self.coupled) * self.nx} "
                             f"({len(self.coupled)} coupled states of dimension {self.nx}), "
                             f"got {w.shape}")
        if self._rho != rho:
            self._setup(rho)
        l, u = self._bounds()
        self._solver.update(q=self._q(w, rho), l=l, u=u)
        res = self._solver.solve(raise_error=False)
        self.solves += 1
        status = str(res.info.status).lower()
        polished = getattr(res.info, "status_polish", 0) == 1  # polishing: exact active set
        if "solved" not in status or ("inaccurate" in status and not polished):
            raise SheafError(f"MPCAgent: OSQP did not solve the agent's QP ({res.info.status})")
        v = res.x
        N, nx = self.N, self.nx
        self.u_first = v[N * nx:N * nx + self.nu].copy()
        self.plan = v[:N * nx].reshape(N, nx).copy()
        return self.plan[list(self.coupled)].ravel()

    def step(self) -> None:
        """Apply the first planned control: ``x <- A x + B u_0``."""
        self.x = self.A @ self.x + self.B @ self.u_first


@dataclass
class MPCResult:
    """States ``(steps + 1, agents, nx)``, applied controls ``(steps, agents, nu)``, and each
    step's final ADMM primal residual ``|x - z|``."""

    states: np.ndarray
    controls: np.ndarray
    residuals: np.ndarray


def run_mpc(sheaf: Sheaf, agents: Sequence[MPCAgent], steps: int, *, b: Any = None,
            rho: float = 2.0, admm_iters: int = 10, potential: Any = None,
            warm_dual: bool = False, couple_from: int | None = None,
            penalty: float | None = None) -> MPCResult:
    """Receding-horizon control: each step, ``admm_iters`` ADMM iterations on the coupled
    states, then every agent applies its first control.

    Parameters
    ----------
    sheaf, agents, steps
        The coordination sheaf (vertex stalks = the agents' states), one :class:`MPCAgent`
        per vertex, and the number of MPC steps.
    b
        The edge targets (None: agreement).
    rho, admm_iters
        ADMM's penalty and iterations per MPC step.
    potential
        Edge potentials (terminal coupling only): the z-step is then the nonconvex descent of
        the module docstring instead of the projection.
    warm_dual
        Carry the scaled dual ``u`` from one MPC step to the next (default: restart at 0, as
        AO.jl). With the hard projection an infeasible coupling winds it up; use it with
        ``penalty``.
    couple_from
        None (default): couple the terminal states only, ``delta x_{N-1} = b`` (AO.jl, the
        paper's eq. (7)). ``k``: couple every planned state ``x_k .. x_{N-1}``
        (``1 <= k <= N - 1``; ``x_0``, the current state, is fixed) through the horizon sheaf
        (:func:`~catopt.sheaves.horizon.horizon_sheaf`, ``T = N - k`` steps): the z-step
        projects every coupled step's states onto ``{delta z_t = b}``.
    penalty
        None (default): the z-step is the exact projection. ``M > 0``: the z-step is the
        proximal map of the exact penalty ``M sum_t dist(z_t, {delta z_t = b})``
        (:func:`~catopt.sheaves.penalty.prox_distance`, one block per coupled step), which
        keeps ``|rho u_t| <= M``; the coupling is met exactly at convergence when ``M``
        exceeds every step's optimal multiplier norm.

    Notes
    -----
    ``run_mpc`` changes the agents: it sets each agent's coupling to ``couple_from``
    (:meth:`MPCAgent.couple`) and leaves it so, and every MPC step advances each agent's
    state (:meth:`MPCAgent.step`). All arguments are checked before any agent is changed.
    """
    from catopt.engines.simulate import simulate
    from catopt.sheaves.admm import admm_system, check_agents
    from catopt.sheaves.horizon import horizon_sheaf, horizon_steps, horizon_target
    from catopt.sheaves.penalty import prox_distance

    agents = check_agents(sheaf, agents)
    for v, a in zip(sheaf.vertex_names, agents, strict=True):
        if not isinstance(a, MPCAgent):
            raise SheafError(f"the agent of vertex {v!r} must be an MPCAgent")
    if sheaf.n != sum(a.nx for a in agents):
        raise SheafError(f"the sheaf's vertex stalks (n = {sheaf.n}) must be the agents' "
                         f"states (total {sum(a.nx for a in agents)})")
    if couple_from is not None and len({a.N for a in agents}) != 1:
        raise SheafError(f"couple_from needs one horizon for all agents, got "
                         f"{sorted({a.N for a in agents})}")
    if potential is not None and (couple_from is not None or penalty is not None):
        raise SheafError("a potential couples the terminal states by its own z-step; "
                         "couple_from and penalty are for the projection")
    steps = integer(steps, "steps", minimum=0, error=SheafError)
    admm_iters = integer(admm_iters, "admm_iters", minimum=1, error=SheafError)
    rho = number(rho, "rho", positive=True, error=SheafError)
    if penalty is not None:
        penalty = number(penalty, "penalty", positive=True, error=SheafError,
                         expected="a positive number (the exact penalty's weight M)")
    if couple_from is not None:
        couple_from = integer(couple_from, "couple_from", minimum=1,
                              maximum=agents[0].N - 1, error=SheafError)
    for a in agents:  # every argument is checked: now the agents change
        a.couple(couple_from)
    T = len(agents[0].coupled)
    hs = sheaf if couple_from is None else horizon_sheaf(sheaf, T)
    target = sheaf.target(b) if couple_from is None else horizon_target(sheaf, b, T)
    blocks = horizon_steps(sheaf, T) if couple_from is not None else None
    # z starts at the current states held over the coupled steps
    z = np.concatenate([np.tile(a.x, T) for a in agents])
    u: Any = None
    states = [np.stack([a.x for a in agents])]
    controls, residuals = [], []
    if potential is not None:
        from scipy.optimize import minimize

        from catopt.sheaves.potentials import edge_potentials

        pots = edge_potentials(sheaf, potential)
        D = sheaf.coboundary()

        def flow(zz: np.ndarray) -> tuple[float, np.ndarray]:
            r = D @ zz - target
            return pots.value(r), D.T @ pots.grad(r)

        def z_step(w: np.ndarray, z: np.ndarray) -> np.ndarray:
            # the nonlinear heat-equation projection: descend U o delta from w to a
            # minimizer (the limit of nonlinear sheaf diffusion started at w)
            return minimize(flow, w, jac=True, method="L-BFGS-B",
                            options={"maxiter": 500, "gtol": 1e-12, "ftol": 0.0}).x
    elif penalty is None:
        def z_step(w: np.ndarray, z: np.ndarray) -> np.ndarray:
            return hs.project(w, target)
    else:
        def z_step(w: np.ndarray, z: np.ndarray) -> np.ndarray:
            return prox_distance(w, hs.project(w, target), penalty / rho, blocks)
    system = admm_system(hs, agents, rho, z_step)  # the agents' QPs follow their states
    n = hs.n
    o = hs.vertex_offsets
    for t in range(steps):
        if t > 0:  # shifted warm start: last step's coupled states, one step further on
            z = np.concatenate([_shift(z[o[i]:o[i + 1]], a) for i, a in enumerate(agents)])
        if not warm_dual or u is None:
            u = np.zeros(hs.n)
        # admm_iters iterations of the one ADMM update (state z, u, x, z_prev)
        s = simulate(system, np.concatenate([z, u, np.zeros(n), z]), admm_iters).x
        z, u = s[:n], s[n:2 * n]
        residuals.append(float(np.linalg.norm(s[2 * n:3 * n] - z)))
        controls.append(np.stack([a.u_first for a in agents]))
        for a in agents:
            a.step()
        states.append(np.stack([a.x for a in agents]))
    return MPCResult(np.asarray(states), np.asarray(controls), np.asarray(residuals))


def _shift(zi: np.ndarray, agent: MPCAgent) -> np.ndarray:
    """An agent's coupled states ``z_k .. z_{N-1}`` one step on: ``z_{k+1} .. z_{N-1}``, then
    ``A z_{N-1}`` (the new horizon ends one step later); ``A z`` for the terminal state."""
    Z = zi.reshape(-1, agent.nx)
    return np.concatenate([Z[1:], (agent.A @ Z[-1])[None]]).ravel()
