"""The exact distance penalty: a z-step whose dual cannot wind up.

For a closed convex set ``C`` the function ``r dist(z, C)`` has the proximal map

    prox_{r dist_C}(w) = w + min(1, r / dist(w, C)) (Pi_C(w) - w)

(move towards the projection by at most ``r``; Parikh and Boyd, *Proximal Algorithms*, 2014,
section 6.5). For a product ``C = C_1 x ... x C_T`` and ``g(z) = r sum_t dist(z_t, C_t)`` it
acts on each block ``t`` separately. As a z-step of scaled ADMM (``z = prox_{g/rho}(x + u)``,
``r = M / rho``) it keeps the dual bounded: ``u+ = x + u - z`` lies in ``dg(z) / rho``, so
every block has ``|rho u_t| <= M``. It is an *exact* penalty: let ``z*`` minimize a convex
``f`` subject to ``z_t in C_t`` (affine sets) with multipliers ``lambda*_t`` (normal to
``C_t``, ``-lambda* in df(z*)``). Then for every ``z``,
``f(z) >= f(z*) - <lambda*, z - Pi_C z> >= f(z*) - sum_t |lambda*_t| dist(z_t, C_t)``, so when
``M >= |lambda*_t|`` for every block ``z*`` also minimizes ``f + M sum_t dist(z_t, C_t)``, and
when ``M`` exceeds them every minimizer lies in ``C``: the constraint is met exactly at
convergence. Below that the constraint is traded against ``f``. When the constraint cannot be
met (control bounds in MPC) the hard projection's dual grows without bound over the iterations,
while this one stays within ``M``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.sheaves.errors import SheafError

__all__ = ["prox_distance"]


def prox_distance(w: Any, p: Any, radius: float, blocks: Any = None) -> np.ndarray:
    """``argmin_z radius sum_t dist(z_t, C_t) + 1/2 |z - w|^2`` given ``p = Pi_C(w)``.

    Parameters
    ----------
    w
        The point (flat vector).
    p
        Its projection onto ``C`` (the same shape).
    radius
        ``r >= 0`` (``inf``: the projection ``p`` itself).
    blocks
        The block ``t`` of each coordinate (non-negative ints, one per coordinate; ``C`` is
        the product of the blocks' sets), or None: one block.
    """
    w = np.asarray(w, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    if p.shape != w.shape:
        raise SheafError(f"prox_distance: p has shape {p.shape} but w has {w.shape}")
    if not (isinstance(radius, (int, float, np.floating)) and radius >= 0):
        raise SheafError(f"prox_distance: radius must be a number >= 0, got {radius!r}")
    step = p - w
    if blocks is None:
        blocks = np.zeros(len(w), dtype=np.int64)
    blocks = np.asarray(blocks)
    if blocks.shape != w.shape or not np.issubdtype(blocks.dtype, np.integer) \
            or (len(blocks) and blocks.min() < 0):
        raise SheafError(f"prox_distance: blocks must be one non-negative int per coordinate "
                         f"({len(w)}), got shape {blocks.shape}")
    dist = np.sqrt(np.bincount(blocks, step * step))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(dist > radius, radius / dist, 1.0)
    return w + factor[blocks] * step
