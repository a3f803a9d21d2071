"""Curvature estimates: the largest Hessian eigenvalue by power iteration on gradient
differences, ``H v ~ (grad f(x + h v) - grad f(x)) / h``."""

from __future__ import annotations

import numpy as np

from catopt.problems.open_problem import OpenProblem

__all__ = ["estimate_curvature"]


def estimate_curvature(
    problem: OpenProblem, x: np.ndarray, *, iters: int = 20, seed: int = 0
) -> float:
    """An estimate of the largest absolute Hessian eigenvalue of ``problem`` at ``x``.

    A constant step below ``2 / L`` with ``L`` this estimate is stable near ``x`` for a
    quadratic; ``1 / L`` is a safe default.
    """
    n = problem.n
    if n == 0:
        return 0.0
    x = problem.check_state(x, "x")
    vg = problem.program.value_and_grad
    g0 = vg(x)[1]
    v = np.random.default_rng(seed).standard_normal(n)
    v /= np.linalg.norm(v)
    scale = max(1.0, float(np.linalg.norm(x)))
    h = 1e-6 * scale
    lam = 0.0
    for _ in range(iters):
        hv = (vg(x + h * v)[1] - g0) / h
        norm = float(np.linalg.norm(hv))
        if not np.isfinite(norm) or norm == 0.0:
            break
        lam = norm
        v = hv / norm
    return lam
