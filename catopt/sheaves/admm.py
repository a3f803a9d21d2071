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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from catopt.sheaves.errors import SheafError
from catopt.sheaves.sheaf import Sheaf

__all__ = ["Agent", "QuadraticAgent", "ADMMResult", "admm", "nonconvex_admm", "admm_step"]


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


def _check_agents(sheaf: Sheaf, agents: Sequence[Any]) -> list[Any]:
    agents = list(agents)
    if len(agents) != sheaf.n_vertices:
        raise SheafError(f"{len(agents)} agents for a sheaf of {sheaf.n_vertices} vertices")
    for v, a in zip(sheaf.vertex_names, agents, strict=True):
        if not callable(getattr(a, "prox", None)):
            raise SheafError(f"the agent of vertex {v!r} has no prox(w, rho) method")
    return agents


def _x_step(sheaf: Sheaf, agents: list[Any], w: np.ndarray, rho: float) -> np.ndarray:
    o = sheaf.vertex_offsets
    x = np.empty_like(w)
    for i, a in enumerate(agents):  # independent: one per agent, in parallel in principle
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
    return solve(to_problem(sheaf, b), w, step=step, steps=steps, engine=engine).x


def admm_step(sheaf: Sheaf, agents: list[Any], z: np.ndarray, u: np.ndarray, b: np.ndarray,
              rho: float, z_step: str | int = "exact") -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """One ADMM iteration: ``(x, z, u)`` from ``(z, u)``."""
    x = _x_step(sheaf, agents, z - u, rho)
    if z_step == "exact":
        z_new = sheaf.project(x + u, b)
    elif isinstance(z_step, (int, np.integer)) and not isinstance(z_step, bool) and z_step > 0:
        z_new = diffuse(sheaf, x + u, b, int(z_step))
    else:
        raise SheafError(f"z_step must be 'exact' or a positive number of diffusion steps, got "
                         f"{z_step!r}")
    return x, z_new, u + x - z_new


def admm(sheaf: Sheaf, agents: Sequence[Any], *, b: Any = None, rho: float = 1.0,
         iters: int = 1000, tol: float | None = 1e-10, z_step: str | int = "exact",
         z0: Any = None, u0: Any = None) -> ADMMResult:
    """Scaled ADMM for ``min sum_v f_v(x_v) s.t. delta x = b`` (module docstring).

    ``agents[i]`` is the agent of vertex ``i`` (``prox(w, rho)``); stops after ``iters``
    iterations or once the primal and dual residuals are both at most ``tol``.
    """
    agents = _check_agents(sheaf, agents)
    if not (isinstance(rho, (int, float)) and rho > 0 and np.isfinite(rho)):
        raise SheafError(f"rho must be a positive number, got {rho!r}")
    target = sheaf.target(b)
    z = np.zeros(sheaf.n) if z0 is None else sheaf.check_cochain(z0, 0, "z0").copy()
    u = np.zeros(sheaf.n) if u0 is None else sheaf.check_cochain(u0, 0, "u0").copy()
    res = ADMMResult(z, z, u, 0)
    for k in range(int(iters)):
        x, z_new, u = admm_step(sheaf, agents, z, u, target, rho, z_step)
        res.primal.append(float(np.linalg.norm(x - z_new)))
        res.dual.append(float(rho * np.linalg.norm(z_new - z)))
        z = z_new
        res.x, res.z, res.u, res.iterations = x, z, u, k + 1
        if tol is not None and res.primal[-1] <= tol and res.dual[-1] <= tol:
            res.converged = True
            break
    return res


def nonconvex_admm(sheaf: Sheaf, agents: Sequence[Any], potential: Any, *, b: Any = None,
                   rho: float = 1.0, iters: int = 100, z0: Any = None, u0: Any = None,
                   z_iters: int = 200) -> ADMMResult:
    """ADMM whose z-step minimizes ``U(delta z - b) + rho/2 |z - (x + u)|^2`` (L-BFGS, warm
    started) for edge potentials ``U`` that may be nonconvex. **No convergence guarantee**:
    the set it approaches is not convex; it is a heuristic, as in AO.jl."""
    from scipy.optimize import minimize

    from catopt.sheaves.potentials import edge_potentials

    agents = _check_agents(sheaf, agents)
    pots = edge_potentials(sheaf, potential)
    target = sheaf.target(b)
    D = sheaf.coboundary()
    z = np.zeros(sheaf.n) if z0 is None else sheaf.check_cochain(z0, 0, "z0").copy()
    u = np.zeros(sheaf.n) if u0 is None else sheaf.check_cochain(u0, 0, "u0").copy()
    res = ADMMResult(z, z, u, 0)
    for k in range(int(iters)):
        x = _x_step(sheaf, agents, z - u, rho)
        w = x + u

        def fg(zz: np.ndarray, w: np.ndarray = w) -> tuple[float, np.ndarray]:
            r = D @ zz - target
            d = zz - w
            return (pots.value(r) + 0.5 * rho * float(d @ d),
                    D.T @ pots.grad(r) + rho * d)

        z_new = minimize(fg, z, jac=True, method="L-BFGS-B",
                         options={"maxiter": z_iters, "gtol": 1e-10}).x
        u = u + x - z_new
        res.primal.append(float(np.linalg.norm(x - z_new)))
        res.dual.append(float(rho * np.linalg.norm(z_new - z)))
        z = z_new
        res.x, res.z, res.u, res.iterations = x, z, u, k + 1
    return res
