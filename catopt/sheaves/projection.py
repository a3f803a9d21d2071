"""The exact projection onto the affine sections ``{z : delta z = b}``.

``z = x - delta^T y`` with ``delta delta^T y = delta x - b``: the correction ``delta^T y``
lies in ``im delta^T = (H^0)^perp``, so ``z`` is the orthogonal projection (AO.jl's
``nearest_section``). ``delta delta^T`` is singular when ``H^1 != 0``; it is factorized once
(sparse LU of ``delta delta^T + eps I``) and the regularization is removed by iterative
refinement (iterated Tikhonov), which converges on ``im delta`` at the rate
``eps / (lambda + eps)`` per solve. ``method="cg"`` runs LSQR (conjugate gradients on the
normal equations, numerically stable) on ``delta w = delta x - b`` instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.sheaves.errors import SheafError

__all__ = ["Projector"]


class Projector:
    """Projection onto ``{delta z = b}`` for one sheaf, its factorization cached."""

    def __init__(self, sheaf: Any) -> None:
        self.sheaf = sheaf
        self._lu: Any = None
        self._eps = 0.0

    def _factor(self) -> Any:
        if self._lu is None:
            import scipy.sparse as sp
            import scipy.sparse.linalg as sla

            d = self.sheaf.coboundary()
            M = (d @ d.T).tocsc()
            scale = float(M.diagonal().max()) if M.shape[0] else 1.0
            self._eps = 1e-8 * max(scale, 1e-300)
            self._lu = sla.splu((M + self._eps * sp.identity(M.shape[0], format="csc")).tocsc(),
                                permc_spec="MMD_AT_PLUS_A")
        return self._lu

    def project(self, x: np.ndarray, b: np.ndarray, *, method: str = "factor",
                tol: float = 1e-12) -> np.ndarray:
        d = self.sheaf.coboundary()
        if self.sheaf.m == 0:
            return x.copy()
        c = d @ x - b
        scale = max(float(np.linalg.norm(d @ x)), float(np.linalg.norm(b)), 1e-300)
        if method == "factor":
            lu = self._factor()
            y = np.zeros_like(c)
            res = c.copy()
            best = np.inf
            for _ in range(60):
                y += lu.solve(res)
                res = c - d @ (d.T @ y)
                rn = float(np.linalg.norm(res))
                if rn <= tol * scale or rn >= 0.5 * best:
                    break
                best = rn
            w = d.T @ y
        elif method == "cg":
            import scipy.sparse.linalg as sla

            w = sla.lsqr(d, c, atol=tol, btol=tol, iter_lim=20 * (self.sheaf.n + 10))[0]
        else:
            raise SheafError(f"method must be 'factor' or 'cg', got {method!r}")
        z = x - w
        gap = float(np.linalg.norm(d @ z - b))
        if method == "factor" and gap > 1e-10 * scale:
            # refinement stalls when delta delta^T is very ill-conditioned: LSQR instead
            return self.project(x, b, method="cg", tol=tol)
        if gap > 1e-7 * scale + 1e-12:
            raise SheafError(
                f"b is not in the image of the coboundary: the nearest z has |delta z - b| = "
                f"{gap:.3g} (b has a nonzero class in H^1, so no assignment meets every edge's "
                f"target); diffusion from x converges to the least-squares set instead")
        return z
