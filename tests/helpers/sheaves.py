"""Random cellular sheaves for tests, and an independent dense assembly of their operators
(a plain loop over edges, written from the definition, sharing no code with catopt)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from catopt.sheaves import Sheaf


def random_edges(rng: np.random.Generator, nv: int, ne: int, dims: list[int],
                 edims: list[int] | None = None) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    edges = []
    for k in range(ne):
        u = int(rng.integers(nv))
        v = int((u + rng.integers(1, nv)) % nv)
        de = int(rng.integers(1, 4)) if edims is None else edims[k]
        edges.append((u, v, rng.standard_normal((de, dims[u])),
                      rng.standard_normal((de, dims[v]))))
    return edges


def sheaf_from_seed(seed: int, max_vertices: int = 6, max_edges: int = 9) -> tuple[
        Sheaf, list[int], list]:
    rng = np.random.default_rng(seed)
    nv = int(rng.integers(2, max_vertices + 1))
    ne = int(rng.integers(1, max_edges + 1))
    dims = [int(d) for d in rng.integers(1, 4, nv)]
    edges = random_edges(rng, nv, ne, dims)
    return Sheaf(dims, edges), dims, edges


sheaves = st.integers(0, 2**32 - 1).map(sheaf_from_seed)


def dense_coboundary(dims: list[int], edges: list) -> np.ndarray:
    """delta from the definition: block (e, u) = F_u, block (e, v) = -F_v."""
    voff = np.concatenate([[0], np.cumsum(dims)]).astype(int)
    rows = []
    for u, v, Fu, Fv in edges:
        block = np.zeros((Fu.shape[0], voff[-1]))
        block[:, voff[u]:voff[u + 1]] += Fu
        block[:, voff[v]:voff[v + 1]] -= Fv
        rows.append(block)
    return np.vstack(rows) if rows else np.zeros((0, voff[-1]))


def dense_laplacian_by_vertex(dims: list[int], edges: list) -> np.ndarray:
    """L from its per-vertex formula: (L x)_v = sum_{e at v} F_v^T (F_v x_v - F_w x_w)."""
    voff = np.concatenate([[0], np.cumsum(dims)]).astype(int)
    L = np.zeros((voff[-1], voff[-1]))
    for u, v, Fu, Fv in edges:
        su, sv = slice(voff[u], voff[u + 1]), slice(voff[v], voff[v + 1])
        L[su, su] += Fu.T @ Fu
        L[sv, sv] += Fv.T @ Fv
        L[su, sv] -= Fu.T @ Fv
        L[sv, su] -= Fv.T @ Fu
    return L
