"""Edge potentials ``U_e`` for nonlinear sheaf Laplacians and sheaf problems.

A potential acts on an edge's *residual* ``y_e = (delta x)_e - b_e`` and is written over a
batch of edges: ``values(Y) -> (k,)`` and ``grads(Y) -> (k, d_e)`` for ``Y`` of shape
``(k, d_e)``. ``U(y) = sum_e U_e(y_e)``, and ``x -> U(delta x - b)`` has gradient
``delta^T grad U(delta x - b)``: the nonlinear sheaf Laplacian.

- :func:`quadratic`: ``1/2 |y|^2`` (diffusion towards ``delta x = b``: consensus, offsets);
- :func:`distance`: ``(|y_c|^2 - r^2)^2`` on coordinates ``c`` (keep distance ``r``;
  nonconvex);
- ``p + q``: the sum; :class:`Potential` for any batched function (autograd differentiates it
  when no gradient is given).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.sheaves.errors import SheafError

__all__ = ["Potential", "quadratic", "distance", "edge_potentials", "EdgePotentials"]


class Potential:
    """A batched edge potential.

    Parameters
    ----------
    value
        ``value(Y) -> (k,)`` over residuals ``Y`` of shape ``(k, d_e)``, written with
        ``autograd.numpy`` when ``grad`` is not given.
    grad
        ``grad(Y) -> (k, d_e)``, optional.
    name
        For messages.
    dims
        The edge stalk dimensions the potential accepts (None: any).
    convex
        Whether every ``U_e`` is convex (ADMM's guarantees need it).
    hessian
        For a quadratic potential ``U_e(y) = 1/2 y^T W y``: ``hessian(d_e) -> W``, the
        constant ``(d_e, d_e)`` Hessian; the sheaf's problem then compiles its edges into
        one sparse operator (see :func:`~catopt.sheaves.to_problem`). None: not quadratic.
    """

    def __init__(self, value: Callable[[Any], Any], grad: Callable[[Any], Any] | None = None,
                 *, name: str = "potential", dims: Callable[[int], bool] | None = None,
                 convex: bool = False,
                 hessian: Callable[[int], np.ndarray] | None = None) -> None:
        if not callable(value) or (grad is not None and not callable(grad)):
            raise SheafError(f"potential {name!r}: value and grad must be callable")
        self.value = value
        self._grad = grad
        self.name = name
        self.accepts = dims
        self.convex = convex
        self.hessian = hessian

    def values(self, Y: Any) -> Any:
        return self.value(Y)

    def grads(self, Y: np.ndarray) -> np.ndarray:
        if self._grad is None:
            import autograd
            import autograd.numpy as anp

            self._grad = autograd.grad(lambda Z: anp.sum(self.value(Z)))
        return np.asarray(self._grad(Y), dtype=float)

    def check(self, de: int, where: str) -> None:
        if self.accepts is not None and not self.accepts(de):
            raise SheafError(f"potential {self.name!r} does not fit {where} (edge stalk of "
                             f"dimension {de})")

    def __add__(self, other: Potential) -> Potential:
        if not isinstance(other, Potential):
            return NotImplemented
        a, b = self, other
        return Potential(lambda Y: a.values(Y) + b.values(Y),
                         lambda Y: a.grads(Y) + b.grads(Y), name=f"{a.name} + {b.name}",
                         dims=lambda d: (a.accepts is None or a.accepts(d))
                         and (b.accepts is None or b.accepts(d)),
                         convex=a.convex and b.convex,
                         hessian=None if a.hessian is None or b.hessian is None
                         else lambda d: a.hessian(d) + b.hessian(d))  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"Potential({self.name!r})"


def _coords(coords: Sequence[int] | None) -> tuple[Any, int]:
    if coords is None:
        return slice(None), 0
    c = np.asarray(coords, dtype=np.int64)
    if c.ndim != 1 or c.size == 0 or (c < 0).any():
        raise SheafError(f"coords must be a non-empty list of coordinate indices, got {coords}")
    return c, int(c.max()) + 1


def _scatter(Y: np.ndarray, c: Any, G_c: np.ndarray) -> np.ndarray:
    """The gradient with respect to ``Y`` of a function of ``Y[:, c]`` whose gradient there is
    ``G_c``: a coordinate listed several times in ``c`` gets the sum of its columns (the
    chain rule through the gather ``Y -> Y[:, c]``)."""
    G = np.zeros(np.shape(Y), dtype=float)
    np.add.at(G, (slice(None), c), G_c)
    return G


def quadratic(coords: Sequence[int] | None = None, weight: float = 1.0) -> Potential:
    """``U_e(y) = weight/2 |y_c|^2`` (all coordinates by default): convex; its nonlinear
    Laplacian is the linear one, ``weight (L x - delta^T b)``.

    A coordinate listed ``k`` times in ``coords`` counts ``k`` times, in the value, the
    gradient (``k weight y_j``) and the Hessian (``k weight`` on the diagonal) alike."""
    c, need = _coords(coords)
    w = float(weight)

    def value(Y: Any) -> Any:
        Z = Y[:, c]
        return 0.5 * w * (Z * Z).sum(axis=1)

    def grad(Y: np.ndarray) -> np.ndarray:
        return _scatter(Y, c, w * Y[:, c])

    def hessian(d: int) -> np.ndarray:  # w times the count of each coordinate in c
        return np.diag(w * np.bincount(np.arange(d)[c], minlength=d).astype(float))

    return Potential(value, grad, name=f"quadratic{'' if coords is None else list(coords)}",
                     dims=lambda d: d >= need, convex=True, hessian=hessian)


def distance(r: float, coords: Sequence[int] | None = None) -> Potential:
    """``U_e(y) = (|y_c|^2 - r^2)^2``: zero exactly when ``|y_c| = r`` (keep distance ``r``,
    the flocking potential of AO.jl with ``r^2 = 5``); nonconvex, so ADMM has no guarantee."""
    c, need = _coords(coords)
    r2 = float(r) ** 2

    def value(Y: Any) -> Any:
        Z = Y[:, c]
        return ((Z * Z).sum(axis=1) - r2) ** 2

    def grad(Y: np.ndarray) -> np.ndarray:
        Z = Y[:, c]
        return _scatter(Y, c, 4.0 * ((Z * Z).sum(axis=1) - r2)[:, None] * Z)

    return Potential(value, grad, name=f"distance({r:g})", dims=lambda d: d >= need)


class EdgePotentials:
    """One potential per edge, grouped so that ``U`` and ``grad U`` are a few batched calls."""

    def __init__(self, sheaf: Any, per_edge: list[Potential]) -> None:
        self.sheaf = sheaf
        self.per_edge = per_edge
        groups: dict[tuple[int, int], list[int]] = {}
        ids: dict[int, Potential] = {}
        for k, p in enumerate(per_edge):
            ids[id(p)] = p
            groups.setdefault((id(p), int(sheaf.edge_dims[k])), []).append(k)
        eo = sheaf.edge_offsets
        self._groups = []
        for (pid, de), ks in groups.items():
            rows = eo[np.asarray(ks)][:, None] + np.arange(de)[None, :]
            self._groups.append((ids[pid], rows))
        self.convex = all(p.convex for p in per_edge)

    def value(self, y: np.ndarray) -> float:
        return float(sum(np.sum(p.values(y[rows])) for p, rows in self._groups))

    def grad(self, y: np.ndarray) -> np.ndarray:
        g = np.zeros_like(y)
        for p, rows in self._groups:
            g[rows] = p.grads(y[rows])
        return g


def edge_potentials(sheaf: Any, potential: Potential | Mapping[str, Potential]
                    | Sequence[Potential] | None) -> EdgePotentials:
    """One potential per edge from one potential, a list in edge order or a mapping by edge
    name (missing edges get :func:`quadratic`); each is checked against its edge stalk."""
    default = quadratic()
    if potential is None:
        per = [default] * sheaf.n_edges
    elif isinstance(potential, Potential):
        per = [potential] * sheaf.n_edges
    elif isinstance(potential, Mapping):
        unknown = [k for k in potential if k not in sheaf.edge_names]
        if unknown:
            raise SheafError(f"potentials name unknown edges {unknown}")
        per = [potential.get(e, default) for e in sheaf.edge_names]
    elif isinstance(potential, Sequence) and not isinstance(potential, (str, bytes)):
        per = list(potential)
        if len(per) != sheaf.n_edges:
            raise SheafError(f"{len(per)} potentials for {sheaf.n_edges} edges")
    else:
        raise SheafError(f"potential must be a Potential, a list or a mapping by edge name, "
                         f"got {type(potential).__name__}")
    for k, p in enumerate(per):
        if not isinstance(p, Potential):
            raise SheafError(f"the potential of edge {sheaf.edge_names[k]!r} must be a "
                             f"Potential, got {type(p).__name__}")
        p.check(int(sheaf.edge_dims[k]), f"edge {sheaf.edge_names[k]!r}")
    return EdgePotentials(sheaf, per)
