"""The sheaf on a horizon: a coordination sheaf imposed on ``T`` time steps at once.

Given a sheaf ``F`` on a graph and a number of time steps ``T``, the *horizon sheaf* ``F^T`` has
the same graph, vertex stalks ``F^T(v) = F(v)^T`` (an agent's states at the ``T`` coupled
steps, time-major: coordinate ``t * d_v + j`` is coordinate ``j`` at step ``t``), edge stalks
``F(e)^T`` and restriction maps ``I_T (x) F_{v<|e}`` (Kronecker product: the same map at every
step). Its coboundary applies ``delta`` at every step,

    (delta^T x)_{e, t} = F_{u<|e} x_{u, t} - F_{v<|e} x_{v, t},

i.e. ``delta_T = Pi_E (I_T (x) delta) Pi_V^T`` with ``Pi_V``, ``Pi_E`` the permutations from
time-major to vertex-major cochains. So ``delta_T z = b^T`` (``b^T`` = ``b_e`` at every step)
holds if and only if every coupled state ``z_t`` is a section, ``delta z_t = b``, and the
projection onto it projects every coupled step onto ``{delta z_t = b}`` separately (the
Laplacian ``delta_T^T delta_T`` is block diagonal over steps up to the permutation).

``T = 1`` is the sheaf itself (the terminal coupling of AO.jl's MPC).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.sheaves.errors import SheafError
from catopt.sheaves.sheaf import EdgeGroup, Sheaf
from catopt.validate import integer

__all__ = ["horizon_sheaf", "horizon_target", "horizon_steps"]


def _steps(steps: Any) -> int:
    return integer(steps, "steps", minimum=1, error=SheafError,
                   expected="a positive int (coupled time steps)")


def _sheaf(sheaf: Any, who: str) -> Sheaf:
    if not isinstance(sheaf, Sheaf):
        raise SheafError(f"{who} needs a Sheaf, got {type(sheaf).__name__}")
    return sheaf


def _kron_eye(F: np.ndarray, T: int) -> np.ndarray:
    """``I_T (x) F[k]`` for every ``k`` of a stack ``F`` of shape ``(k, r, c)``."""
    k, r, c = F.shape
    out = np.zeros((k, T, r, T, c))
    t = np.arange(T)
    out[:, t, :, t, :] = F[None]  # block (t, t) of every edge is its map
    return out.reshape(k, T * r, T * c)


def horizon_sheaf(sheaf: Sheaf, steps: int) -> Sheaf:
    """The sheaf ``F^T`` on ``T = steps`` time steps (module docstring): vertex stalks
    ``d_v T``, edge stalks ``d_e T``, restriction maps ``I_T (x) F``; same vertex and edge
    names. Built per edge group, without a loop over edges."""
    sheaf = _sheaf(sheaf, "horizon_sheaf")
    T = _steps(steps)
    groups = [EdgeGroup(g.du * T, g.dv * T, g.de * T, g.edges, g.head, g.tail,
                        _kron_eye(g.Fu, T), _kron_eye(g.Fv, T)) for g in sheaf.groups]
    return Sheaf.from_groups(sheaf.vertex_names, sheaf.vertex_dims * T, sheaf.edge_names,
                             groups)


def horizon_target(sheaf: Sheaf, b: Any, steps: int) -> np.ndarray:
    """The edge targets ``b`` of ``sheaf`` repeated at each of ``steps`` time steps, as a
    1-cochain of :func:`horizon_sheaf` (edge ``e``'s block is ``b_e`` tiled ``T`` times)."""
    sheaf = _sheaf(sheaf, "horizon_target")
    T = _steps(steps)
    b = sheaf.target(b)
    de = sheaf.edge_dims
    sizes = de * T
    ks = np.repeat(np.arange(sheaf.n_edges), sizes)  # the edge of each horizon coordinate
    start = np.repeat(np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
    pos = np.arange(int(sizes.sum())) - start  # t * d_e + j within the edge's block
    return b[sheaf.edge_offsets[ks] + pos % de[ks]]


def horizon_steps(sheaf: Sheaf, steps: int) -> np.ndarray:
    """The time step ``t`` of each coordinate of a 0-cochain of :func:`horizon_sheaf`
    (vertex ``v``'s block is ``d_v`` coordinates at step 0, then at step 1, ...)."""
    sheaf = _sheaf(sheaf, "horizon_steps")
    T = _steps(steps)
    dv = sheaf.vertex_dims
    sizes = dv * T
    vs = np.repeat(np.arange(sheaf.n_vertices), sizes)
    start = np.repeat(np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
    return ((np.arange(int(sizes.sum())) - start) // dv[vs]).astype(np.int64)
