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
from catopt.validate import number, vector

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
        The block ``t`` of each coordinate (non-negative ints, one per coordinate, any
        labels: coordinates with the same label form one block; ``C`` is the product of the
        blocks' sets), or None: one block.
    """
    w = vector(w, "prox_distance: w", flatten=True, error=SheafError)
    p = vector(p, "prox_distance: p", flatten=True, error=SheafError)
    if p.shape != w.shape:
        raise SheafError(f"prox_distance: p has shape {p.shape} but w has {w.shape}")
    radius = number(radius, "prox_distance: radius", nonnegative=True, finite=False,
                    error=SheafError)
    step = p - w
    if blocks is None:
        labels = np.zeros(len(w), dtype=np.int64)
    else:
        b = np.asarray(blocks)
        if b.shape != w.shape or not np.issubdtype(b.dtype, np.integer) \
                or (len(b) and b.min() < 0):
            raise SheafError(f"prox_distance: blocks must be one non-negative int per "
                             f"coordinate ({len(w)}), got {blocks!r}"[:300])
        # the blocks' labels may be any ints: renumber them 0..k-1 (no array of max+1 slots)
        _, labels = np.unique(b, return_inverse=True)
        labels = labels.ravel()
    dist = np.sqrt(np.bincount(labels, step * step))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(dist > radius, radius / dist, 1.0)
    return w + factor[labels] * step

