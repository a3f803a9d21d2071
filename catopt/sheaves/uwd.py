"""A sheaf is a UWD: vertices are junctions (the agents' states), edges are boxes.

Edge ``e = (u, v)`` becomes a box with ports ``(x_u, x_v)`` whose objective is
``U_e(F_u x_u - F_v x_v - b_e)``; composing all edges along the UWD sums them, so the
composite's objective is ``U(delta x - b)`` and its gradient is the (nonlinear) sheaf
Laplacian ``delta^T grad U(delta x - b)``. For ``U_e = 1/2 |.|^2`` that is
``L x - delta^T b``: gradient descent on the composite (``co.solve``) *is* sheaf diffusion,
on any engine. Edges of one shape signature and one potential form one
:class:`~catopt.BoxFamily`, so each such group is one batched call per step; for a quadratic
potential (``1/2 y^T W y``, e.g. :func:`~catopt.sheaves.quadratic`) it is a
:class:`~catopt.problems.quadratic.LeastSquaresFamily`, which the program compiles with the
other quadratic edges into one sparse operator: the step is then one product with the
(weighted) sheaf Laplacian, ``L x - delta^T b``, assembled once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.bulk import with_paused_gc
from catopt.problems import OpenProblem, compose
from catopt.problems.family import BoxFamily, fuse_families
from catopt.problems.quadratic import LeastSquaresFamily
from catopt.sheaves.potentials import Potential, edge_potentials
from catopt.sheaves.sheaf import Sheaf
from catopt.wiring import UWD, UWDBuilder

__all__ = ["to_uwd", "to_problem", "edge_family_order"]


def edge_family_order(sheaf: Sheaf, potential: Any = None) -> list[tuple[Potential, Any, Any]]:
    """The edges in box order: ``(potential, group, positions)`` runs, one per family."""
    pots = edge_potentials(sheaf, potential)
    runs = []
    for g in sheaf.groups:
        by: dict[int, list[int]] = {}
        keep: dict[int, Potential] = {}
        for j, k in enumerate(g.edges):
            p = pots.per_edge[int(k)]
            by.setdefault(id(p), []).append(j)
            keep[id(p)] = p
        for pid, pos in by.items():
            runs.append((keep[pid], g, np.asarray(pos, dtype=np.int64)))
    return runs


@with_paused_gc
def to_uwd(sheaf: Sheaf, potential: Any = None) -> UWD:
    """The UWD of a sheaf: one junction per vertex (shape ``(d_v,)``, all exposed as outer
    ports in vertex order), one box per edge with ports ``(u, v)``; boxes are grouped by
    family (shape signature and potential), in edge order within a group."""
    if not isinstance(sheaf, Sheaf):
        from catopt.sheaves.errors import SheafError

        raise SheafError(f"to_uwd takes a Sheaf, got {type(sheaf).__name__}")
    b = UWDBuilder()
    names = sheaf.vertex_names
    for v, d in zip(names, sheaf.vertex_dims, strict=True):
        b.junction(v, (int(d),))
    for _, g, pos in edge_family_order(sheaf, potential):
        for j in pos:
            b.box(sheaf.edge_names[int(g.edges[j])], [names[g.head[j]], names[g.tail[j]]])
    b.outer(*names)
    return b.build()


def _family(pot: Potential, du: int, dv: int, name: str, data: dict[str, np.ndarray]
            ) -> BoxFamily:
    """The edges of one run as a family: a quadratic family (``A = [F_u, -F_v]``, weight
    the potential's Hessian) when the potential is quadratic, else a batched family whose
    value and gradient share one residual."""
    if pot.hessian is not None:
        A = np.concatenate([data["Fu"], -data["Fv"]], axis=2)
        W = pot.hessian(A.shape[1])
        return LeastSquaresFamily({"xu": (du,), "xv": (dv,)}, ["xu", "xv"], A=A, b=data["b"],
                                  weight=None if np.array_equal(W, np.eye(len(W))) else W,
                                  name=name)

    def residual(X: np.ndarray, Fu: np.ndarray, Fv: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (np.einsum("kij,kj->ki", Fu, X[:, :du])
                - np.einsum("kij,kj->ki", Fv, X[:, du:]) - b)

    def objective(X: np.ndarray, Fu: np.ndarray, Fv: np.ndarray, b: np.ndarray) -> Any:
        return pot.values(residual(X, Fu, Fv, b))

    def pulled(G: np.ndarray, Fu: np.ndarray, Fv: np.ndarray) -> np.ndarray:
        return np.concatenate([np.einsum("kji,kj->ki", Fu, G),
                               -np.einsum("kji,kj->ki", Fv, G)], axis=1)

    def grad(X: np.ndarray, Fu: np.ndarray, Fv: np.ndarray, b: np.ndarray) -> np.ndarray:
        return pulled(pot.grads(residual(X, Fu, Fv, b)), Fu, Fv)

    def value_and_grad(X: np.ndarray, Fu: np.ndarray, Fv: np.ndarray, b: np.ndarray
                       ) -> tuple[Any, np.ndarray]:
        Y = residual(X, Fu, Fv, b)
        return pot.values(Y), pulled(pot.grads(Y), Fu, Fv)

    return BoxFamily(objective, {"xu": (du,), "xv": (dv,)}, ["xu", "xv"], data=data,
                     name=name, grad=grad, value_and_grad=value_and_grad)


@with_paused_gc
def to_problem(sheaf: Sheaf, b: Any = None, potential: Any = None) -> OpenProblem:
    """The composite open problem ``x -> U(delta x - b) = sum_e U_e(F_u x_u - F_v x_v - b_e)``.

    Its state is the 0-cochain (vertex states in vertex order, all exposed as ports);
    ``gradient_flow`` of it is minus the nonlinear sheaf Laplacian, and
    ``co.solve(to_problem(s, b), x0, step=alpha)`` runs sheaf diffusion
    ``x <- x - alpha (L x - delta^T b)`` (default potential ``1/2 |y|^2``).
    """
    d = to_uwd(sheaf, potential)
    target = sheaf.target(b)
    eo = sheaf.edge_offsets
    fillers: list[OpenProblem] = []
    for i, (pot, g, pos) in enumerate(edge_family_order(sheaf, potential)):
        edges = g.edges[pos]
        rows = eo[edges][:, None] + np.arange(g.de)[None, :]
        fam = _family(pot, g.du, g.dv, f"edges{i}",
                      {"Fu": g.Fu[pos], "Fv": g.Fv[pos], "b": target[rows]})
        fillers.extend(fam.problems())
    problem = compose(d, fillers)
    return fuse_families(problem)
