"""ADMM for homological programs: minimize ``sum_v f_v(x_v)`` subject to ``delta x = b``.

The splitting is ``f(x) + 1_S(z)`` subject to ``x = z``, ``S = {z : delta z = b}``; scaled ADMM
with penalty ``rho`` repeats

1. x-step, per agent and in parallel: ``x_v = argmin f_v + rho/2 |x_v - (z_v - u_v)|^2``
   (``agent.prox(w, rho)``);
2. z-step: ``z = Pi_S(x + u)``, the exact projection (cached factorization) or a given number
   of sheaf-diffusion steps, i.e. ``co.solve`` on the sheaf's composite problem;
3. dual step: ``u = u + x - z``.

For closed proper convex ``f_v`` and a nonempty ``S`` (``b`` in the image of ``delta``) with a
saddle point, ``x - z -> 0`` and the objective converges to the optimum for every ``rho > 0``
(Boyd et al. 2011, section 3.2). :func:`nonconvex_admm` replaces the projection by a
minimization of ``U(delta z - b) + rho/2 |z - (x + u)|^2`` for nonconvex edge potentials; it
has **no convergence guarantee** (as AO.jl's ``NonConvexADMM``).

The iteration is written once, as an open discrete system (:func:`admm_system`, the z-step a
parameter), and run by the one driver (:func:`run_admm`: residual stopping, divergence,
checkpoints, Ctrl-C) or, a fixed number of times, by ``simulate`` (the multi-agent MPC).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from catopt.engines.systems import run_system
from catopt.sheaves.errors import SheafError
from catopt.sheaves.sheaf import Sheaf
from catopt.systems.open_system import OpenDiscreteSystem
from catopt.validate import integer, number, vector

__all__ = ["Agent", "QuadraticAgent", "ADMMResult", "ADMMSystem", "admm", "nonconvex_admm",
           "admm_system", "run_admm", "projection", "x_step", "check_agents", "diffuse"]


class Agent(Protocol):
    """What ADMM needs of an agent: its proximal map (and, optionally, its objective)."""

    def prox(self, w: np.ndarray, rho: float) -> np.ndarray:
        """``argmin_x f(x) + rho/2 |x - w|^2``."""
        ...


class QuadraticAgent:
    """``f(x) = 1/2 x^T P x + q^T x`` (``P`` symmetric PSD); its prox is one linear solve,
    ``(P + rho I) x = rho w - q``, factorized once per ``rho``."""

    def __init__(self, P: Any, q: Any) -> None:
        self.P = np.atleast_2d(np.asarray(P, dtype=float))
        self.q = np.asarray(q, dtype=float).ravel()
        if self.P.shape != (len(self.q), len(self.q)):
            raise SheafError(f"QuadraticAgent: P has shape {self.P.shape} but q has length "
                             f"{len(self.q)}")
        self._chol: tuple[float, Any] | None = None

    def value(self, x: np.ndarray) -> float:
        return float(0.5 * x @ self.P @ x + self.q @ x)

    def prox(self, w: np.ndarray, rho: float) -> np.ndarray:
        if self._chol is None or self._chol[0] != rho:
            import scipy.linalg as sla

            self._chol = (rho, sla.cho_factor(self.P + rho * np.eye(len(self.q))))
        import scipy.linalg as sla

        return sla.cho_solve(self._chol[1], rho * w - self.q)


@dataclass
class ADMMResult:
    """The iterates ``x`` (agents' local solutions), ``z`` (on the sections) and scaled duals
    ``u``, with per-iteration primal residuals ``|x - z|`` and dual residuals
    ``rho |z - z_prev|``."""

    x: np.ndarray
    z: np.ndarray
    u: np.ndarray
    iterations: int
    primal: list[float] = field(default_factory=list)
    dual: list[float] = field(default_factory=list)
    converged: bool = False


def check_agents(sheaf: Sheaf, agents: Sequence[Any]) -> list[Any]:
    """``agents`` as a list, one per vertex of ``sheaf``, each with a ``prox(w, rho)``."""
    agents = list(agents)
    if len(agents) != sheaf.n_vertices:
        raise SheafError(f"{len(agents)} agents for a sheaf of {sheaf.n_vertices} vertices")
    for v, a in zip(sheaf.vertex_names, agents, strict=True):
        if not callable(getattr(a, "prox", None)):
            raise SheafError(f"the agent of vertex {v!r} has no prox(w, rho) method")
    return agents


def x_step(sheaf: Sheaf, agents: list[Any], w: np.ndarray, rho: float) -> np.ndarray:
    """The x-step: every agent's ``prox(w_v, rho)``, independent of the others."""
    o = sheaf.vertex_offsets
    x = np.empty_like(w)
    for i, a in enumerate(agents):  # independent: one per agent
        xi = np.asarray(a.prox(w[o[i]:o[i + 1]], rho), dtype=float).ravel()
        if xi.shape != (o[i + 1] - o[i],):
            raise SheafError(f"the prox of vertex {sheaf.vertex_names[i]!r} returned shape "
                             f"{xi.shape}, expected ({o[i + 1] - o[i]},)")
        x[o[i]:o[i + 1]] = xi
    return x


def diffuse(sheaf: Sheaf, w: np.ndarray, b: np.ndarray, steps: int,
            step: float | None = None, engine: str = "local") -> np.ndarray:
    """``steps`` steps of sheaf diffusion from ``w``: gradient descent on the sheaf's
    composite problem through ``co.solve`` (step ``1 / |L|_inf`` by default, below
    ``2 / lambda_max``)."""
    from catopt.engines import solve
    from catopt.sheaves.uwd import to_problem

    if step is None:
        L = sheaf.laplacian()
        step = 1.0 / max(float(abs(L).sum(axis=1).max()), 1e-300)
    return solve(to_problem(sheaf, b), w, step=step, steps=steps, engine=engine,
                 progress=False).x


def projection(sheaf: Sheaf, b: np.ndarray, z_step: str | int = "exact"
               ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The convex z-step ``(w, z) -> Pi_S(w)``, ``S = {z : delta z = b}``: the exact projection
    (``"exact"``) or ``k`` steps of sheaf diffusion from ``w`` (a positive int)."""
    if z_step == "exact":
        return lambda w, z: sheaf.project(w, b)
    if isinstance(z_step, (int, np.integer)) and not isinstance(z_step, bool) and z_step > 0:
        return lambda w, z: diffuse(sheaf, w, b, int(z_step))
    raise SheafError(f"z_step must be 'exact' or a positive number of diffusion steps, got "
                     f"{z_step!r}")


class ADMMSystem(OpenDiscreteSystem):
    """One ADMM iteration (an open discrete system on ``(z, u, x, z_prev)``, each of length
    ``n``) that knows its penalty ``rho``, so that :func:`run_admm` reports the dual
    residual ``rho |z - z_prev|`` with the ``rho`` the iteration uses. Made by
    :func:`admm_system`.

    Attributes
    ----------
    rho : float
        The penalty of the x-step (positive).
    """

    def __init__(self, update: Callable[[np.ndarray], np.ndarray], n: int, rho: float) -> None:
        super().__init__(update, {"z": (n,), "u": (n,), "x": (n,), "z_prev": (n,)},
                         name="admm")
        self.rho = rho


def admm_system(sheaf: Sheaf, agents: Sequence[Any], rho: float,
                z_step: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> ADMMSystem:
    """One ADMM iteration as an open discrete system on the state ``(z, u, x, z_prev)``:
    ``x = prox(z - u)`` (per agent), ``z = z_step(x + u, z)`` (the z-step sees the previous
    ``z``, to warm-start an inner solver), ``u = u + x - z``; ``x`` and the
    previous ``z`` are kept so that the residuals of the last iteration can be read off the
    state. The system carries ``rho`` (:class:`ADMMSystem`); :func:`run_admm` runs it through
    the one driver."""
    agents = check_agents(sheaf, agents)
    rho = number(rho, "rho", positive=True, error=SheafError)
    if not callable(z_step):
        raise SheafError(f"z_step must be callable (w, z) -> z, got {type(z_step).__name__}")
    n = sheaf.n

    def update(s: np.ndarray) -> np.ndarray:
        z, u = s[:n], s[n:2 * n]
        x = x_step(sheaf, agents, z - u, rho)
        z_new = np.asarray(z_step(x + u, z), dtype=float)
        return np.concatenate([z_new, u + x - z_new, x, z])

    return ADMMSystem(update, n, rho)


def run_admm(system: ADMMSystem, iters: int, *, tol: float | None = None,
             z0: Any = None, u0: Any = None, **options: Any) -> ADMMResult:
    """Iterate an :func:`admm_system` from ``(z0, u0)`` (default 0; each a finite vector of
    length ``n``) through :func:`~catopt.engines.systems.run_system` (divergence,
    checkpoints, Ctrl-C), recording the primal residual ``|x - z|`` and the dual residual
    ``rho |z - z_prev|`` (``rho`` the system's own) of every iteration, and stopping after
    ``iters`` iterations or once both are at most ``tol`` (None: never)."""
    if not isinstance(system, ADMMSystem):
        raise SheafError(f"run_admm runs a system made by admm_system, got "
                         f"{type(system).__name__}")
    iters = integer(iters, "iters", minimum=0, error=SheafError)
    if tol is not None:
        tol = number(tol, "tol", nonnegative=True, error=SheafError)
    rho = system.rho
    n = system.n // 4
    s0 = np.zeros(system.n)
    if z0 is not None:
        z0 = vector(z0, "z0", length=n, error=SheafError)
        s0[:n] = z0
        s0[3 * n:] = z0
    if u0 is not None:
        s0[n:2 * n] = vector(u0, "u0", length=n, error=SheafError)
    res = ADMMResult(s0[:n].copy(), s0[:n].copy(), s0[n:2 * n].copy(), 0)

    def residuals(s: np.ndarray) -> bool:
        res.primal.append(float(np.linalg.norm(s[2 * n:3 * n] - s[:n])))
        res.dual.append(float(rho * np.linalg.norm(s[:n] - s[3 * n:])))
        return tol is not None and res.primal[-1] <= tol and res.dual[-1] <= tol

    def watch(t: int, s: np.ndarray, value: float, norm: float) -> bool:
        return t > 0 and residuals(s)  # the residuals of the iteration that made s

    options.setdefault("progress", False)
    out = run_system(system, s0, iters, callback=watch, **options)
    s = out.x
    if out.iterations > len(res.primal):  # the last state, not seen by the callback
        residuals(s)
    res.x, res.z, res.u = s[2 * n:3 * n].copy(), s[:n].copy(), s[n:2 * n].copy()
    res.iterations = out.iterations
    res.converged = bool(tol is not None and res.primal and res.primal[-1] <= tol
                         and res.dual[-1] <= tol)
    return res


def admm(sheaf: Sheaf, agents: Sequence[Any], *, b: Any = None, rho: float = 1.0,
         iters: int = 1000, tol: float | None = 1e-10, z_step: str | int = "exact",
         z0: Any = None, u0: Any = None, **options: Any) -> ADMMResult:
    """Scaled ADMM for ``min sum_v f_v(x_v) s.t. delta x = b`` (module docstring).

    ``agents[i]`` is the agent of vertex ``i`` (``prox(w, rho)``); stops after ``iters``
    iterations or once the primal and dual residuals are both at most ``tol``. ``options``
    go to the driver (``checkpoint``, ``progress``).
    """
    system = admm_system(sheaf, agents, rho, projection(sheaf, sheaf.target(b), z_step))
    return run_admm(system, iters, tol=tol, z0=_cochain(sheaf, z0, "z0"),
                    u0=_cochain(sheaf, u0, "u0"), **options)



def _cochain(sheaf: Sheaf, v: Any, what: str) -> np.ndarray | None:
    return None if v is None else sheaf.check_cochain(v, 0, what)


def nonconvex_admm(sheaf: Sheaf, agents: Sequence[Any], potential: Any, *, b: Any = None,
                   rho: float = 1.0, iters: int = 100, z0: Any = None, u0: Any = None,
                   z_iters: int = 200, **options: Any) -> ADMMResult:
    """ADMM whose z-step minimizes ``U(delta z - b) + rho/2 |z - (x + u)|^2`` (L-BFGS, warm
    started at the previous ``z``) for edge potentials ``U`` that may be nonconvex. **No convergence
    guarantee**: the set it approaches is not convex; it is a heuristic, as in AO.jl."""
    from scipy.optimize import minimize

    from catopt.sheaves.potentials import edge_potentials

    pots = edge_potentials(sheaf, potential)
    target = sheaf.target(b)
    D = sheaf.coboundary()
    r_ = number(rho, "rho", positive=True, error=SheafError)

    def z_step(w: np.ndarray, z: np.ndarray) -> np.ndarray:
        def fg(zz: np.ndarray) -> tuple[float, np.ndarray]:
            r = D @ zz - target
            d = zz - w
            return (pots.value(r) + 0.5 * r_ * float(d @ d), D.T @ pots.grad(r) + r_ * d)

        return minimize(fg, z, jac=True, method="L-BFGS-B",
                        options={"maxiter": z_iters, "gtol": 1e-10}).x

    system = admm_system(sheaf, agents, rho, z_step)
    return run_admm(system, iters, z0=_cochain(sheaf, z0, "z0"),
                    u0=_cochain(sheaf, u0, "u0"), **options)
