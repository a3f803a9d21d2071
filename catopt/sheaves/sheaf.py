"""Cellular sheaves on graphs: stalks, restriction maps, the coboundary and the Laplacian.

A cellular sheaf ``F`` on a graph ``G = (V, E)`` gives each vertex ``v`` a stalk
``F(v) = R^{d_v}``, each edge ``e`` a stalk ``F(e) = R^{d_e}``, and each incidence ``v <| e`` a
linear restriction map ``F_{v<|e}: F(v) -> F(e)``. Each edge ``e = (u, v)`` is oriented; with
AlgebraicOptimization.jl's sign convention the coboundary ``delta: C^0 -> C^1`` is

    (delta x)_e = F_{u<|e} x_u - F_{v<|e} x_v,

so an edge ``A(x) == B(y)`` asks ``A x_x - B x_y = b_e`` (``b_e = 0``: agreement). The sheaf
Laplacian is ``L = delta^T delta``; ``ker delta = ker L = H^0`` are the *global sections*.
Cochains are flat vectors: ``x`` is the vertices' states concatenated in vertex order (length
``n = sum_v d_v``), ``delta x`` the edges' values in edge order (length ``m = sum_e d_e``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from catopt.limits import check_limit
from catopt.sheaves.errors import SheafError

__all__ = ["Sheaf", "EdgeGroup", "random_sheaf"]

#: above this many vertex coordinates ``sections()`` refuses the dense SVD it needs
MAX_DENSE = 6000


@dataclass(frozen=True)
class EdgeGroup:
    """The edges of one shape signature ``(d_u, d_v, d_e)``, their maps stacked.

    ``edges`` are edge indices, ``head``/``tail`` their vertices ``u``/``v``,
    ``Fu``/``Fv`` the restriction maps of shapes ``(k, d_e, d_u)`` and ``(k, d_e, d_v)``.
    """

    du: int
    dv: int
    de: int
    edges: np.ndarray
    head: np.ndarray
    tail: np.ndarray
    Fu: np.ndarray
    Fv: np.ndarray


def _dim(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SheafError(f"{what} must be a positive int (a stalk dimension), got {value!r}")
    return int(value)


def _map(F: Any, what: str, de: int | None, dv: int) -> np.ndarray:
    try:
        arr = np.array(F, dtype=float)
    except (TypeError, ValueError):
        raise SheafError(f"{what} must be a matrix of numbers, got {F!r}") from None
    if arr.ndim == 1 and dv == 1 and de == arr.shape[0]:
        arr = arr.reshape(-1, 1)  # a column written flat
    elif arr.ndim == 1 and de in (None, 1) and arr.shape[0] == dv:
        arr = arr.reshape(1, -1)  # a row written flat
    if arr.ndim != 2:
        raise SheafError(f"{what} must be a 2-d matrix, got an array of shape {arr.shape}")
    if arr.shape[1] != dv:
        raise SheafError(f"{what} has {arr.shape[1]} columns but its vertex stalk has "
                         f"dimension {dv}")
    if de is not None and arr.shape[0] != de:
        raise SheafError(f"{what} has {arr.shape[0]} rows but the edge stalk has dimension {de}")
    if not np.isfinite(arr).all():
        raise SheafError(f"{what} has entries that are NaN or infinite")
    return arr


class Sheaf:
    """A cellular sheaf on a (multi)graph, with the AO.jl sign ``(delta x)_e = F_u x_u - F_v x_v``.

    Parameters
    ----------
    vertices
        A mapping from vertex names to stalk dimensions, or a sequence of dimensions
        (vertices then named ``"0"``, ``"1"``, ...).
    edges
        A sequence of ``(u, v, F_u, F_v)``: the vertices (names, or indices into
        ``vertices``) and the restriction maps (matrices of shapes ``(d_e, d_u)`` and
        ``(d_e, d_v)``; ``d_e`` is their common row count).
    edge_names
        Optional names of the edges (default ``"e0"``, ``"e1"``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> s = Sheaf({"a": 2, "b": 2}, [("a", "b", np.eye(2), np.eye(2))])
    >>> s.coboundary().toarray()
    array([[ 1.,  0., -1.,  0.],
           [ 0.,  1.,  0., -1.]])
    """

    def __init__(self, vertices: Mapping[str, int] | Sequence[int],
                 edges: Sequence[tuple[Any, Any, Any, Any]], *,
                 edge_names: Sequence[str] | None = None) -> None:
        if isinstance(vertices, Mapping):
            names = [str(k) for k in vertices]
            dims = [_dim(d, f"stalk dimension of vertex {k!r}") for k, d in vertices.items()]
        elif isinstance(vertices, (str, bytes)) or not isinstance(vertices, Sequence):
            raise SheafError("vertices must be a mapping name -> stalk dimension or a sequence "
                             f"of dimensions, got {type(vertices).__name__}")
        else:
            dims = [_dim(d, f"stalk dimension of vertex {i}") for i, d in enumerate(vertices)]
            names = [str(i) for i in range(len(dims))]
        check_limit("max_junctions", len(names), "the sheaf")
        if isinstance(edges, (str, bytes)) or not isinstance(edges, Sequence):
            raise SheafError(f"edges must be a sequence of (u, v, F_u, F_v), got "
                             f"{type(edges).__name__}")
        check_limit("max_boxes", len(edges), "the sheaf")
        index = {n: i for i, n in enumerate(names)}
        if len(index) != len(names):
            raise SheafError(f"vertex names must be distinct, got {names}")
        if edge_names is None:
            enames = [f"e{k}" for k in range(len(edges))]
        else:
            enames = [str(e) for e in edge_names]
            if len(enames) != len(edges):
                raise SheafError(f"{len(enames)} edge names for {len(edges)} edges")
            if len(set(enames)) != len(enames):
                raise SheafError(f"edge names must be distinct, got {enames}")
        heads, tails, maps = [], [], []
        for k, e in enumerate(edges):
            try:
                u, v, Fu, Fv = e
            except (TypeError, ValueError):
                raise SheafError(f"edge {enames[k]!r} must be a tuple (u, v, F_u, F_v), got "
                                 f"{e!r}") from None
            iu = self._vertex(u, index, len(names), f"edge {enames[k]!r}")
            iv = self._vertex(v, index, len(names), f"edge {enames[k]!r}")
            if iu == iv:
                raise SheafError(f"edge {enames[k]!r} is a loop at vertex {names[iu]!r}; "
                                 f"edges join two different vertices")
            A = _map(Fu, f"restriction map of vertex {names[iu]!r} on edge {enames[k]!r}",
                     None, dims[iu])
            B = _map(Fv, f"restriction map of vertex {names[iv]!r} on edge {enames[k]!r}",
                     A.shape[0], dims[iv])
            if A.shape[0] < 1:
                raise SheafError(f"edge {enames[k]!r} has an edge stalk of dimension 0")
            heads.append(iu)
            tails.append(iv)
            maps.append((A, B))
        self._init(names, np.asarray(dims, dtype=np.int64), enames,
                   np.asarray(heads, dtype=np.int64), np.asarray(tails, dtype=np.int64),
                   _group(maps, heads, tails, np.asarray(dims)))

    @staticmethod
    def _vertex(v: Any, index: Mapping[str, int], n: int, where: str) -> int:
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            if not 0 <= v < n:
                raise SheafError(f"{where} names vertex {v}, out of range 0..{n - 1}")
            return int(v)
        if isinstance(v, str) and v in index:
            return index[v]
        raise SheafError(f"{where} names unknown vertex {v!r}; vertices are "
                         f"{list(index)[:10]}{' ...' if len(index) > 10 else ''}")

    def _init(self, names: list[str], dims: np.ndarray, enames: list[str], heads: np.ndarray,
              tails: np.ndarray, groups: list[EdgeGroup]) -> None:
        self.vertex_names: tuple[str, ...] = tuple(names)
        self.edge_names: tuple[str, ...] = tuple(enames)
        self.vertex_dims = dims
        self.heads = heads
        self.tails = tails
        self.groups: tuple[EdgeGroup, ...] = tuple(groups)
        edims = np.zeros(len(enames), dtype=np.int64)
        for g in groups:
            edims[g.edges] = g.de
        self.edge_dims = edims
        self.vertex_offsets = np.concatenate([[0], np.cumsum(dims)]).astype(np.int64)
        self.edge_offsets = np.concatenate([[0], np.cumsum(edims)]).astype(np.int64)
        self._delta: Any = None
        self._lap: Any = None
        self._projector: Any = None

    # -- fast constructors ---------------------------------------------------------------------
    @classmethod
    def from_arrays(cls, vertex_dims: Sequence[int] | np.ndarray, head: Any, tail: Any,
                    Fu: Any, Fv: Any) -> Sheaf:
        """A sheaf whose edges all have one shape: ``head[k] -> tail[k]`` with maps
        ``Fu[k]`` (``(d_e, d_u)``) and ``Fv[k]``, all vertices of ``head`` (``tail``) having
        one dimension; built without a Python loop over edges (linear time)."""
        dims = np.asarray(vertex_dims)
        if dims.ndim != 1 or dims.size == 0 or not np.issubdtype(dims.dtype, np.integer) \
                or (dims < 1).any():
            raise SheafError("vertex_dims must be a non-empty 1-d array of positive ints")
        check_limit("max_junctions", len(dims), "the sheaf")
        head = np.asarray(head)
        tail = np.asarray(tail)
        Fu = np.asarray(Fu, dtype=float)
        Fv = np.asarray(Fv, dtype=float)
        k = len(head)
        check_limit("max_boxes", k, "the sheaf")
        if head.shape != (k,) or tail.shape != (k,) or not (
                np.issubdtype(head.dtype, np.integer) and np.issubdtype(tail.dtype, np.integer)):
            raise SheafError("head and tail must be 1-d int arrays of one length")
        if k and (min(head.min(), tail.min()) < 0 or max(head.max(), tail.max()) >= len(dims)):
            raise SheafError(f"head and tail must be vertex indices 0..{len(dims) - 1}")
        if k and (head == tail).any():
            bad = int(np.nonzero(head == tail)[0][0])
            raise SheafError(f"edge e{bad} is a loop at vertex {int(head[bad])}")
        if Fu.ndim != 3 or Fv.ndim != 3 or len(Fu) != k or len(Fv) != k \
                or Fu.shape[1] != Fv.shape[1] or Fu.shape[1] < 1:
            raise SheafError(f"Fu and Fv must have shapes (k, d_e, d_u) and (k, d_e, d_v) with "
                             f"k = {k} edges, got {Fu.shape} and {Fv.shape}")
        if k and (np.any(dims[head] != Fu.shape[2]) or np.any(dims[tail] != Fv.shape[2])):
            raise SheafError("every head (tail) vertex must have the stalk dimension of Fu's "
                             "(Fv's) columns")
        if not (np.isfinite(Fu).all() and np.isfinite(Fv).all()):
            raise SheafError("restriction maps have entries that are NaN or infinite")
        s = cls.__new__(cls)
        groups = [] if k == 0 else [EdgeGroup(Fu.shape[2], Fv.shape[2], Fu.shape[1],
                                              np.arange(k), head.astype(np.int64),
                                              tail.astype(np.int64), Fu, Fv)]
        s._init([str(i) for i in range(len(dims))], dims.astype(np.int64),
                [f"e{i}" for i in range(k)], head.astype(np.int64), tail.astype(np.int64),
                groups)
        return s

    @classmethod
    def from_groups(cls, vertex_names: Sequence[str], vertex_dims: Any,
                    edge_names: Sequence[str], groups: Sequence[EdgeGroup]) -> Sheaf:
        """A sheaf from edge groups (as in :attr:`groups`; every edge index in exactly one
        group), without a Python loop over edges: how derived sheaves (e.g.
        :func:`~catopt.sheaves.horizon.horizon_sheaf`) are built. Checked: one positive
        dimension per vertex, edge indices and vertices in range, the maps' shapes and
        vertices' dimensions those of their group, every edge in exactly one group."""
        nv, k = len(vertex_names), len(edge_names)
        dims = np.asarray(vertex_dims)
        if dims.shape != (nv,) or (nv and (not np.issubdtype(dims.dtype, np.integer)
                                           or dims.min() < 1)):
            raise SheafError(f"vertex_dims must be one positive int per vertex ({nv}), got "
                             f"{vertex_dims!r}"[:300])
        dims = dims.astype(np.int64)
        heads = np.full(k, -1, dtype=np.int64)
        tails = np.full(k, -1, dtype=np.int64)
        count = np.zeros(k, dtype=np.int64)
        groups = list(groups)
        for i, g in enumerate(groups):
            if not isinstance(g, EdgeGroup):
                raise SheafError(f"edge group {i} must be an EdgeGroup, got {type(g).__name__}")
            where = f"edge group {i} ((d_u, d_v, d_e) = ({g.du}, {g.dv}, {g.de}))"
            idx = {}
            for part in ("edges", "head", "tail"):
                a = np.asarray(getattr(g, part))
                if a.shape != (len(g.edges),) or (a.size and not np.issubdtype(a.dtype,
                                                                               np.integer)):
                    raise SheafError(f"{where}: {part} must be {len(g.edges)} ints (one per "
                                     f"edge of the group), got {a!r}"[:300])
                top = k if part == "edges" else nv
                bad = (a < 0) | (a >= top)
                if bad.any():
                    what = "edge index" if part == "edges" else f"{part} vertex"
                    raise SheafError(f"{where}: {what} {int(a[bad][0])} is out of range "
                                     f"0..{top - 1}")
                idx[part] = a.astype(np.int64)
            if g.Fu.shape != (len(g.edges), g.de, g.du) or g.Fv.shape != (len(g.edges), g.de,
                                                                          g.dv):
                raise SheafError(f"{where}: its maps have shapes {g.Fu.shape} and "
                                 f"{g.Fv.shape}, expected (k, d_e, d_u) = "
                                 f"({len(g.edges)}, {g.de}, {g.du}) and (k, d_e, d_v)")
            e, h, t = idx["edges"], idx["head"], idx["tail"]
            if len(e) and (np.any(dims[h] != g.du) or np.any(dims[t] != g.dv)):
                raise SheafError(f"{where}: its vertices do not have its stalk dimensions")
            np.add.at(count, e, 1)
            heads[e], tails[e] = h, t
        if (count > 1).any():
            twice = [edge_names[j] for j in np.nonzero(count > 1)[0][:5]]
            raise SheafError(f"every edge must be in exactly one edge group: edges {twice} "
                             f"are listed more than once")
        if (count == 0).any():
            missing = [edge_names[j] for j in np.nonzero(count == 0)[0][:5]]
            raise SheafError(f"every edge must be in one edge group: edges {missing} are in "
                             f"none")
        s = cls.__new__(cls)
        s._init(list(vertex_names), dims, list(edge_names), heads, tails, list(groups))
        return s

    @classmethod
    def constant(cls, n_vertices: int, edges: Sequence[tuple[int, int]], dim: int) -> Sheaf:
        """The constant sheaf ``R^dim`` on a graph: every map is the identity, sections on a
        connected graph are consensus, and ``L`` is the graph Laplacian (x) ``I_dim``."""
        dim = _dim(dim, "dim")
        e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        eye = np.broadcast_to(np.eye(dim), (len(e), dim, dim))
        return cls.from_arrays(np.full(_dim(n_vertices, "n_vertices"), dim), e[:, 0], e[:, 1],
                               eye, eye)

    # -- sizes ---------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Length of a 0-cochain (all vertex stalks)."""
        return int(self.vertex_offsets[-1])

    @property
    def m(self) -> int:
        """Length of a 1-cochain (all edge stalks)."""
        return int(self.edge_offsets[-1])

    @property
    def n_vertices(self) -> int:
        return len(self.vertex_names)

    @property
    def n_edges(self) -> int:
        return len(self.edge_names)

    def vertex(self, v: Any) -> int:
        """The index of vertex ``v`` (a name or an index)."""
        return self._vertex(v, {n: i for i, n in enumerate(self.vertex_names)},
                            self.n_vertices, "the argument")

    def restriction(self, e: int | str) -> tuple[np.ndarray, np.ndarray]:
        """The restriction maps ``(F_u, F_v)`` of edge ``e`` (index or name)."""
        k = e if isinstance(e, (int, np.integer)) else self.edge_names.index(e) \
            if e in self.edge_names else -1
        if not 0 <= k < self.n_edges:
            raise SheafError(f"unknown edge {e!r}")
        for g in self.groups:
            pos = np.nonzero(g.edges == k)[0]
            if len(pos):
                return g.Fu[pos[0]], g.Fv[pos[0]]
        raise SheafError(f"unknown edge {e!r}")  # pragma: no cover - every edge has a group

    def split(self, x: Any) -> dict[str, np.ndarray]:
        """A 0-cochain as a mapping vertex name -> its state."""
        x = self.check_cochain(x, 0)
        o = self.vertex_offsets
        return {v: x[o[i]:o[i + 1]] for i, v in enumerate(self.vertex_names)}

    def check_cochain(self, x: Any, degree: int, what: str = "x") -> np.ndarray:
        """``x`` as a flat float vector of length ``n`` (degree 0) or ``m`` (degree 1)."""
        size = self.n if degree == 0 else self.m
        try:
            arr = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise SheafError(f"{what} must be a vector of numbers, got {type(x).__name__}") \
                from None
        if arr.ndim == 2 and degree == 0 and arr.shape[0] == self.n_vertices \
                and (self.vertex_dims == arr.shape[1]).all():
            arr = arr.ravel()  # one row per vertex
        if arr.shape != (size,):
            kind = "vertex stalks, n" if degree == 0 else "edge stalks, m"
            raise SheafError(f"{what} must be a {degree}-cochain of length {size} (all "
                             f"{kind} = {size}), got shape {arr.shape}")
        return arr

    def target(self, b: Any) -> np.ndarray:
        """The edge targets ``b`` as a 1-cochain (None: zero, i.e. agreement)."""
        if b is None:
            return np.zeros(self.m)
        if isinstance(b, Mapping):
            out = np.zeros(self.m)
            for name, val in b.items():
                if name not in self.edge_names:
                    raise SheafError(f"b names unknown edge {name!r}; edges are "
                                     f"{list(self.edge_names)[:10]}")
                k = self.edge_names.index(name)
                o = self.edge_offsets
                v = np.asarray(val, dtype=float).ravel()
                if v.shape != (o[k + 1] - o[k],):
                    raise SheafError(f"b[{name!r}] must have length {o[k + 1] - o[k]} (the "
                                     f"edge stalk), got {v.shape}")
                out[o[k]:o[k + 1]] = v
            return out
        return self.check_cochain(b, 1, "b")

    # -- operators -----------------------------------------------------------------------------
    def coboundary(self) -> Any:
        """The coboundary ``delta`` as a ``scipy.sparse`` CSR matrix of shape ``(m, n)``:
        block ``(e, u)`` is ``+F_u``, block ``(e, v)`` is ``-F_v``."""
        if self._delta is None:
            import scipy.sparse as sp

            rows, cols, vals = [], [], []
            vo, eo = self.vertex_offsets, self.edge_offsets
            for g in self.groups:
                for F, verts, sign, d in ((g.Fu, g.head, 1.0, g.du), (g.Fv, g.tail, -1.0, g.dv)):
                    r = eo[g.edges][:, None, None] + np.arange(g.de)[None, :, None]
                    c = vo[verts][:, None, None] + np.arange(d)[None, None, :]
                    rows.append(np.broadcast_to(r, F.shape).ravel())
                    cols.append(np.broadcast_to(c, F.shape).ravel())
                    vals.append(sign * F.ravel())
            if rows:
                delta = sp.csr_matrix((np.concatenate(vals),
                                       (np.concatenate(rows), np.concatenate(cols))),
                                      shape=(self.m, self.n))
            else:
                delta = sp.csr_matrix((self.m, self.n))
            delta.sum_duplicates()
            self._delta = delta
        return self._delta

    def laplacian(self) -> Any:
        """The sheaf Laplacian ``L = delta^T delta`` (CSR, ``n x n``, symmetric PSD)."""
        if self._lap is None:
            d = self.coboundary()
            self._lap = (d.T @ d).tocsr()
        return self._lap

    def delta(self, x: Any) -> np.ndarray:
        """``delta x``: each edge's disagreement ``F_u x_u - F_v x_v``."""
        return self.coboundary() @ self.check_cochain(x, 0)

    def dirichlet(self, x: Any, b: Any = None) -> float:
        """The Dirichlet energy ``1/2 |delta x - b|^2``."""
        r = self.delta(x) - self.target(b)
        return 0.5 * float(r @ r)

    def nonlinear_laplacian(self, x: Any, potential: Any = None, b: Any = None) -> np.ndarray:
        """``L^{grad U}(x) = delta^T grad U(delta x - b)``, ``U = sum_e U_e`` the edge
        potentials (:mod:`catopt.sheaves.potentials`; default ``1/2 |y|^2``, which gives
        ``L x - delta^T b``). It is the gradient of ``x -> U(delta x - b)``."""
        from catopt.sheaves.potentials import edge_potentials

        pots = edge_potentials(self, potential)
        r = self.delta(x) - self.target(b)
        return self.coboundary().T @ pots.grad(r)

    def sections(self, tol: float | None = None) -> np.ndarray:
        """An orthonormal basis of the global sections ``H^0 = ker delta`` (columns), by a
        dense SVD (refused above ``MAX_DENSE`` coordinates)."""
        if self.n > MAX_DENSE:
            raise SheafError(f"sections() uses a dense SVD and the sheaf has {self.n} vertex "
                             f"coordinates (> {MAX_DENSE}); use project() to reach H^0 instead")
        if self.m == 0:
            return np.eye(self.n)
        D = self.coboundary().toarray()
        _, s, vt = np.linalg.svd(D, full_matrices=True)
        if tol is None:
            tol = max(D.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)
        rank = int(np.sum(s > tol))
        return vt[rank:].T.copy()

    def project(self, x: Any, b: Any = None, *, method: str = "factor",
                tol: float = 1e-12) -> np.ndarray:
        """The orthogonal projection of ``x`` onto ``{z : delta z = b}`` (``H^0`` for
        ``b = None``): ``z = x - delta^+ (delta x - b)``.

        ``method="factor"`` uses a cached sparse factorization of ``L + eps I`` with iterative
        refinement (exact to rounding); ``"cg"`` conjugate gradients on ``L``. Raises
        :class:`SheafError` when ``b`` is not in the image of ``delta`` (a nonzero class in
        ``H^1``: no section meets the targets)."""
        from catopt.sheaves.projection import Projector

        if self._projector is None:
            self._projector = Projector(self)
        return self._projector.project(self.check_cochain(x, 0), self.target(b),
                                       method=method, tol=tol)

    def to_dense_blocks(self) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
        """Each edge as ``(u, v, F_u, F_v)`` with vertex indices, in edge order."""
        out: list[Any] = [None] * self.n_edges
        for g in self.groups:
            for j, k in enumerate(g.edges):
                out[int(k)] = (int(g.head[j]), int(g.tail[j]), g.Fu[j], g.Fv[j])
        return out

    def __repr__(self) -> str:
        return (f"Sheaf({self.n_vertices} vertices, {self.n_edges} edges, n={self.n}, "
                f"m={self.m})")


def _group(maps: list[tuple[np.ndarray, np.ndarray]], heads: list[int], tails: list[int],
           dims: np.ndarray) -> list[EdgeGroup]:
    """Edges grouped by shape signature ``(d_u, d_v, d_e)``, in order of first appearance."""
    by: dict[tuple[int, int, int], list[int]] = {}
    for k, (A, B) in enumerate(maps):
        by.setdefault((A.shape[1], B.shape[1], A.shape[0]), []).append(k)
    out = []
    for (du, dv, de), ks in by.items():
        idx = np.asarray(ks, dtype=np.int64)
        out.append(EdgeGroup(du, dv, de, idx, np.asarray(heads)[idx], np.asarray(tails)[idx],
                             np.stack([maps[k][0] for k in ks]),
                             np.stack([maps[k][1] for k in ks])))
    return out


def random_sheaf(n_vertices: int, n_edges: int, vertex_dim: int, edge_dim: int,
                 rng: np.random.Generator | int | None = None) -> Sheaf:
    """A random sheaf for tests and benchmarks: a random spanning tree plus random extra edges
    (no loops), Gaussian restriction maps; built in linear time."""
    rng = np.random.default_rng(rng)
    nv = _dim(n_vertices, "n_vertices")
    if nv < 2:
        raise SheafError("a random sheaf needs at least 2 vertices")
    ne = int(n_edges)
    if ne < 0:
        raise SheafError(f"n_edges must be >= 0, got {n_edges!r}")
    tree = min(nv - 1, ne)
    perm = rng.permutation(nv)
    child = perm[1:tree + 1]
    parent = perm[rng.integers(0, np.arange(1, tree + 1))]  # an earlier vertex: a tree
    extra = ne - tree
    a = rng.integers(0, nv, extra)
    c = (a + rng.integers(1, nv, extra)) % nv  # never a loop
    head = np.concatenate([parent, a]).astype(np.int64)
    tail = np.concatenate([child, c]).astype(np.int64)
    de, dv = _dim(edge_dim, "edge_dim"), _dim(vertex_dim, "vertex_dim")
    Fu = rng.standard_normal((ne, de, dv)) / np.sqrt(dv)
    Fv = rng.standard_normal((ne, de, dv)) / np.sqrt(dv)
    return Sheaf.from_arrays(np.full(nv, dv), head, tail, Fu, Fv)
