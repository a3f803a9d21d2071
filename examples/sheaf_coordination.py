"""Multi-agent coordination over cellular sheaves (Hanks et al., arXiv 2504.02049; AO.jl's
paper examples), with the reference parameters: three planar double integrators (dt = 0.1),
controls in [-2, 2], R = I, rho = 2, 10 ADMM iterations per MPC step.

1. consensus with tracking: a triangle, edge maps C = [1 0 0 0] (agree on x-position), each
   agent tracks its own y-goal 2, 4, 6 (Q = I with Q[0,0] = 0), horizon N = 10;
2. stationary formation: edges (1,2), (1,3), maps = positions, b = [5,5,-5,5]
   (p1 - p2 = (5,5), p1 - p3 = (-5,5)), Q = diag(1,0,1,0), N = 20, run twice from one start:
   with every planned state x_1 .. x_{N-1} coupled (the horizon sheaf; z-step = the exact
   penalty M sum_t dist(z_t, sections), M = 20; dual carried over), and with AO.jl's terminal
   coupling;
3. moving formation: the constant sheaf R^4 on the path 2-1-3, b = [5,0,5,0,-5,0,5,0]
   (offsets and equal velocities); leader 1 tracks velocity (3,0) with Q = diag(0,50,0,50),
   followers Q = 0, N = 10;
4. flocking (AO.jl's Flocking.jl as coded): a triangle, maps = positions, the nonconvex
   potential (|p_u - p_v|^2 - 5)^2 (distance sqrt 5), all three agents track velocity (1,0)
   with Q = diag(0,50,0,50), N = 10, rho = 1000 (AO.jl's NonConvexADMM(1000.0, 10, ...)),
   initial states U(0,1)^4; the z-step descends the potential from x + u (a heuristic).

Printed and asserted: the final offsets / spreads / distances and the first MPC step after
which each stays within 1e-3 of its goal. With these parameters consensus is met to 1e-3
after ~280 steps, the moving formation after ~550 (error 0.2 at AO.jl's 160) and the flock
after ~62 (AO.jl: 65), the stationary formation coupled on the trajectory after ~143; with
the terminal coupling it converges to a *shrunk* triangle (error 2.6, as in AO.jl's own
trajectories: the regulation cost pulls every agent to 0 and the terminal coupling only
postpones the offsets to the end of each horizon). Run:
``python examples/sheaf_coordination.py [--quick] [--outdir DIR]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from catopt.sheaves import Sheaf, distance
from catopt.sheaves.mpc import MPCAgent, MPCResult, double_integrator, run_mpc

DT, BOUNDS, RHO, ADMM_ITERS = 0.1, (-2.0, 2.0), 2.0, 10
#: the stationary formation's exact penalty M: above every coupled step's optimal multiplier
#: norm 2 sqrt(sum_i |p_i*|^2) = 16.33 (the triangle centred at 0), so the offsets are met
FORMATION_PENALTY = 20.0
FLOCK_RHO = 1000.0  # AO.jl's flocking script: NonConvexADMM(1000.0, 10, ...)
POS = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0]])
TERMINAL = "stationary formation, terminal coupling (AO.jl)"


def agents(x0: np.ndarray, Qs: list[np.ndarray], targets: list, horizon: int) -> list[MPCAgent]:
    A, B = double_integrator(DT)
    return [MPCAgent(A, B, Q, np.eye(2), horizon, BOUNDS, x_target=t, x0=x)
            for x, Q, t in zip(x0, Qs, targets, strict=True)]


def settled(err: np.ndarray, tol: float = 1e-3) -> int | None:
    """The first step from which ``err`` stays at most ``tol`` (None: never)."""
    bad = np.nonzero(err > tol)[0]
    if len(bad) == 0:
        return 0
    return None if bad[-1] == len(err) - 1 else int(bad[-1] + 1)


def consensus(x0: np.ndarray, steps: int) -> tuple[MPCResult, dict]:
    C = np.array([[1.0, 0, 0, 0]])
    s = Sheaf([4] * 3, [(0, 1, C, C), (1, 2, C, C), (2, 0, C, C)])
    Q = np.eye(4)
    Q[0, 0] = 0
    r = run_mpc(s, agents(x0, [Q] * 3, [[0, 0, g, 0] for g in (2, 4, 6)], 10), steps,
                rho=RHO, admm_iters=ADMM_ITERS)
    spread = np.ptp(r.states[:, :, 0], axis=1)
    yerr = np.abs(r.states[:, :, 2] - [2, 4, 6]).max(axis=1)
    return r, {"x_spread": float(spread[-1]), "y_error": float(yerr[-1]),
               "steps_to_1e-3": settled(np.maximum(spread, yerr))}


def formation_error(states: np.ndarray, b: np.ndarray) -> np.ndarray:
    p = states[:, :, [0, 2]]
    return np.maximum(np.abs(p[:, 0] - p[:, 1] - b[:2]).max(axis=1),
                      np.abs(p[:, 0] - p[:, 2] - b[2:]).max(axis=1))


def stationary(x0: np.ndarray, steps: int, coupling: str = "trajectory",
               penalty: float = FORMATION_PENALTY) -> tuple[MPCResult, dict]:
    """The stationary formation. ``coupling="terminal"``: AO.jl's formulation (the terminal
    states form the section; dual restarted each step). ``"trajectory"``: every planned
    state x_1 .. x_{N-1} forms the section (the horizon sheaf), the z-step is the exact
    penalty ``penalty * sum_t dist(z_t, sections)`` and the dual is carried over."""
    s = Sheaf([4] * 3, [(0, 1, POS, POS), (0, 2, POS, POS)])
    b = np.array([5.0, 5, -5, 5])
    Q = np.diag([1.0, 0, 1, 0])
    kw: dict = {} if coupling == "terminal" else {"couple_from": 1, "penalty": penalty,
                                                  "warm_dual": True}
    r = run_mpc(s, agents(x0, [Q] * 3, [None] * 3, 20), steps, b=b, rho=RHO,
                admm_iters=ADMM_ITERS, **kw)
    err = formation_error(r.states, b)
    p = r.states[-1][:, [0, 2]]
    return r, {"offset_error": float(err[-1]), "steps_to_1e-3": settled(err),
               "error_at_100": float(err[min(100, steps)]),
               "centroid": float(np.abs(p.mean(axis=0)).max()),
               "offsets": (p[0] - p[1:]).tolist()}


def moving(x0: np.ndarray, steps: int) -> tuple[MPCResult, dict]:
    s = Sheaf.constant(3, [(0, 1), (0, 2)], 4)
    b = np.array([5.0, 0, 5, 0, -5, 0, 5, 0])
    lead = np.diag([0.0, 50, 0, 50])
    r = run_mpc(s, agents(x0, [lead, np.zeros((4, 4)), np.zeros((4, 4))],
                          [[0, 3, 0, 0], None, None], 10), steps, b=b, rho=RHO,
                admm_iters=ADMM_ITERS)
    err = np.maximum(formation_error(r.states, b[[0, 2, 4, 6]]),
                     np.abs(r.states[:, :, [1, 3]] - [3.0, 0.0]).max(axis=(1, 2)))
    return r, {"offset_and_velocity_error": float(err[-1]),
               "error_at_160": float(err[min(160, steps)]), "steps_to_1e-3": settled(err)}


def flocking(x0: np.ndarray, steps: int) -> tuple[MPCResult, dict]:
    s = Sheaf([4] * 3, [(0, 1, POS, POS), (0, 2, POS, POS), (1, 2, POS, POS)])
    track = np.diag([0.0, 50, 0, 50])
    r = run_mpc(s, agents(x0, [track] * 3, [[0, 1, 0, 0]] * 3, 10), steps, rho=FLOCK_RHO,
                admm_iters=ADMM_ITERS, potential=distance(np.sqrt(5)))
    p = r.states[:, :, [0, 2]]
    d = np.stack([np.linalg.norm(p[:, i] - p[:, j], axis=1)
                  for i, j in ((0, 1), (1, 2), (2, 0))], axis=1)
    derr = np.abs(d - np.sqrt(5)).max(axis=1)
    verr = np.ptp(r.states[:, :, [1, 3]], axis=1).max(axis=1)
    err = np.maximum(derr, verr)
    return r, {"distances": d[-1].tolist(), "distance_error": float(derr[-1]),
               "velocity_spread": float(verr[-1]), "error_at_65": float(err[min(65, steps)]),
               "steps_to_1e-3": settled(err)}


def _errors(name: str, r: MPCResult) -> tuple[float, float]:
    """The scenario's goal error at the first and the last step."""
    st = r.states
    if name == "consensus":
        e = np.maximum(np.ptp(st[:, :, 0], axis=1), np.abs(st[:, :, 2] - [2, 4, 6]).max(axis=1))
    elif name.startswith("stationary formation"):
        e = formation_error(st, np.array([5.0, 5, -5, 5]))
    elif name == "moving formation":
        e = np.maximum(formation_error(st, np.array([5.0, 5, -5, 5])),
                       np.abs(st[:, :, [1, 3]] - [3.0, 0.0]).max(axis=(1, 2)))
    else:
        p = st[:, :, [0, 2]]
        d = np.stack([np.linalg.norm(p[:, i] - p[:, j], axis=1)
                      for i, j in ((0, 1), (1, 2), (2, 0))], axis=1)
        e = np.maximum(np.abs(d - np.sqrt(5)).max(axis=1),
                       np.ptp(st[:, :, [1, 3]], axis=1).max(axis=1))
    return float(e[0]), float(e[-1])


def plot(results: dict[str, MPCResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 9))
    for ax, (name, r) in zip(axes.ravel(), results.items(), strict=False):
        st = r.states[:161] if name == "moving formation" else r.states  # AO.jl's 160 steps
        for i in range(st.shape[1]):
            ax.plot(st[:, i, 0], st[:, i, 2], label=f"agent {i + 1}")
            ax.plot(*st[0, i, [0, 2]], "o", color=f"C{i}")
            ax.plot(*st[-1, i, [0, 2]], "s", color=f"C{i}")
        last = st[-1][:, [0, 2]]
        ax.fill(last[:, 0], last[:, 1], alpha=0.15, color="gray")
        if name.startswith("stationary formation"):  # the goal: offsets, centred at 0
            goal = np.array([[0, 10 / 3], [-5, -5 / 3], [5, -5 / 3], [0, 10 / 3]])
            ax.plot(goal[:, 0], goal[:, 1], "k--", lw=0.8, label="goal (offsets, centred)")
        title = "stationary formation,\nterminal coupling (AO.jl)" if name == TERMINAL else \
            "stationary formation,\ncoupling on the trajectory" \
            if name == "stationary formation" else name
        ax.set_title(f"{title} ({len(st) - 1} of {len(r.controls)} MPC steps)", fontsize=10)
        ax.set_xlabel("x position")
        ax.set_ylabel("y position")
        ax.axis("equal")
        ax.legend(fontsize=7)
    ax = axes.ravel()[-1]
    b = np.array([5.0, 5, -5, 5])
    for name, label in (("stationary formation", "coupling on the trajectory"),
                        (TERMINAL, "terminal coupling (AO.jl)")):
        ax.semilogy(formation_error(results[name].states, b), label=label)
    ax.axhline(1e-3, color="k", ls=":", lw=0.8)
    ax.set_title("stationary formation: offset error", fontsize=10)
    ax.set_xlabel("MPC step")
    ax.set_ylabel("max |p1 - p_j - b_j|")
    ax.legend(fontsize=8)
    fig.suptitle("Sheaf ADMM + MPC: trajectories (o start, square end, gray final shape)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer MPC steps (tests)")
    parser.add_argument("--outdir", type=Path, default=None, help="where to write the figure")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    # enough MPC steps to see each goal met to 1e-3 (stationary: the fixed point is reached)
    steps = {"consensus": 300, "stationary formation": 300, "moving formation": 700,
             "flocking": 100}
    if args.quick:
        steps = {"consensus": 300, "stationary formation": 160, "moving formation": 700,
                 "flocking": 70}
    steps[TERMINAL] = steps["stationary formation"]
    runs = {"consensus": consensus, "stationary formation": stationary,
            TERMINAL: lambda x0, n: stationary(x0, n, "terminal"),
            "moving formation": moving, "flocking": flocking}
    results, claims, starts = {}, {}, {}
    for name, fn in runs.items():
        start = time.perf_counter()
        # AO.jl: 5*rand(-1:0.1:1, 12), and rand(12) for the flock (agents start close)
        if name == TERMINAL:  # the same start as the trajectory-coupled formation
            x0 = starts["stationary formation"]
        else:
            x0 = rng.uniform(0, 1, (3, 4)) if name == "flocking" \
                else 5 * rng.uniform(-1, 1, (3, 4))
        starts[name] = x0
        r, c = fn(x0, steps[name])
        c["initial_error"], c["final_error"] = _errors(name, r)
        c["seconds"] = time.perf_counter() - start
        results[name], claims[name] = r, c
        shown = ", ".join(f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}"
                          for k, v in c.items() if k != "offsets")
        print(f"{name:<22} {shown}")
    if args.outdir is not None:
        args.outdir.mkdir(parents=True, exist_ok=True)
        plot(results, args.outdir / "sheaf_coordination.png")
        print(f"figure: {args.outdir / 'sheaf_coordination.png'}")
    return claims


if __name__ == "__main__":
    main()
