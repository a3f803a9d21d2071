"""Open saddle problems (Lagrangians): a UWD-algebra glued along dual and primal variables.

An open saddle problem is ``(S, L, m)`` with ``S = X + Lambda`` a decision space whose
variables are each *primal* (``x``, minimized) or *dual* (``lambda``, maximized), a function
``L: R^S -> R`` convex in ``x`` and concave in ``lambda``, and ports ``m: P -> S``. Composing
along a UWD is the generic composition of :mod:`catopt.algebra.protocol`: the Lagrangians
add, pulled back along the pushout ``phi``,

    L(y) = sum_b L_b(phi_b^* y),

so a junction shared by dual variables makes boxes share a multiplier (their constraints
``A_b x_b - c_b`` add up: AlgebraicOptimization.jl's ``DualComp``), and a junction shared by
primal variables makes them share a decision variable. A sum of convex-concave functions of
linear images is convex-concave, so both gluings stay in the algebra. A junction may not glue
a primal variable to a dual one (:class:`~catopt.errors.CompositionError`).

What each *method* allows is its own business (see :mod:`catopt.functor.saddle`): gradient
ascent-descent is natural for both gluings, dual ascent (an exact inner argmin per box) needs
every primal variable private to one box, and projection onto bounds is natural only on a
primal variable that no junction shares, so :class:`SaddleAlgebra` refuses to glue a bounded
primal variable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.algebra.finset import Space, resolve_ports
from catopt.algebra.protocol import OpenParts, UWDAlgebra
from catopt.algebra.ring import REAL
from catopt.backends.registry import get_backend
from catopt.errors import CompositionError, ObjectiveError, ShapeError, SpaceError
from catopt.problems.blocks import ObjectiveLeaf
from catopt.program.open import Open

__all__ = ["SaddleAlgebra", "OpenSaddle", "SaddleLeaf"]


class SaddleLeaf(ObjectiveLeaf):
    """A leaf Lagrangian on ``size`` coordinates, ``dual[i]`` saying which are multipliers.

    Parameters
    ----------
    size
        Number of coordinates.
    value, value_and_grad
        ``L`` and ``(L, grad L)`` on the leaf's flat block (for a
        non-differentiable ``L``, ``grad`` is a documented subgradient selection).
    dual
        Boolean mask, True on dual coordinates.
    lower, upper
        Bounds of the primal coordinates (``-inf``/``inf`` for none; dual
        coordinates are unbounded).
    argmin
        Optional ``argmin(z) -> x``: the primal block minimizing ``L(., lambda)`` for
        the multipliers in ``z`` (the primal part of ``z`` is a warm start). Without it,
        :meth:`inner_argmin` calls ``scipy.optimize.minimize`` (L-BFGS-B, with the bounds).
    """

    __slots__ = ("dual", "lower", "upper", "_argmin", "dual_sel", "primal_sel", "n_primal")

    def __init__(self, size: int, value: Callable[[np.ndarray], Any],
                 value_and_grad: Callable[[np.ndarray], tuple[Any, Any]], dual: np.ndarray,
                 lower: np.ndarray | None = None, upper: np.ndarray | None = None,
                 argmin: Callable[[np.ndarray], Any] | None = None, what: str = "Lagrangian",
                 backend: str = "autograd") -> None:
        super().__init__(size, value, value_and_grad, what=what, backend=backend)
        self.dual = np.asarray(dual, dtype=bool)
        if self.dual.shape != (size,):
            raise ShapeError(f"{what}: the dual mask has shape {self.dual.shape}, expected "
                             f"({size},)")
        self.lower = np.full(size, -np.inf) if lower is None else np.asarray(lower, float)
        self.upper = np.full(size, np.inf) if upper is None else np.asarray(upper, float)
        if np.any(self.lower > self.upper):
            k = int(np.argmax(self.lower > self.upper))
            raise SpaceError(f"{what}: coordinate {k} has lower bound {self.lower[k]} above its "
                             f"upper bound {self.upper[k]}")
        if np.any(self.dual & (np.isfinite(self.lower) | np.isfinite(self.upper))):
            raise SpaceError(f"{what}: bounds are supported on primal variables only")
        self._argmin = argmin
        self.n_primal = int(size - self.dual.sum())
        self.dual_sel = _selector(self.dual)
        self.primal_sel = _selector(~self.dual)

    def value_and_dual_grad(self, z: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``(L(x, lam), grad_lam L(x, lam))`` for the multipliers in ``z`` and primal ``x``."""
        return self.value_and_dual_grad_at(z[self.dual_sel], x)

    def value_and_dual_grad_at(self, lam: np.ndarray,
                               x: np.ndarray) -> tuple[float, np.ndarray]:
        """``(L(x, lam), grad_lam L(x, lam))`` (subclasses that know their structure skip the
        primal gradient)."""
        w = np.empty(self.size)
        w[self.primal_sel] = x
        w[self.dual_sel] = lam
        v, g = self.value_and_grad(w)
        return v, g[self.dual_sel]

    def argmin_dual(self, lam: np.ndarray) -> np.ndarray:
        """``argmin_x L(x, lam)`` from the multipliers alone (a solver starts from 0)."""
        w = np.zeros(self.size)
        w[self.dual_sel] = lam
        return self.inner_argmin(w)

    @property
    def bounded(self) -> np.ndarray:
        """True on coordinates with a finite bound."""
        return np.isfinite(self.lower) | np.isfinite(self.upper)

    @property
    def has_closed_form(self) -> bool:
        return self._argmin is not None

    def project(self, z: np.ndarray) -> np.ndarray:
        """``z`` with its primal coordinates clipped to their bounds."""
        return np.clip(z, self.lower, self.upper)

    def inner_argmin(self, z: np.ndarray) -> np.ndarray:
        """``argmin_x L(x, lambda)`` over the primal block, ``lambda`` read from ``z``."""
        if self._argmin is not None:
            x = np.asarray(self._argmin(z), dtype=float)
            if x.shape != (self.n_primal,):
                raise ObjectiveError(f"argmin of {self.what} returned shape {x.shape}; expected "
                                     f"({self.n_primal},)")
            return x
        primal = ~self.dual
        from scipy.optimize import minimize

        zz = z.copy()

        def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
            zz[primal] = x
            v, g = self.value_and_grad(zz)
            return v, g[primal]

        lo, hi = self.lower[primal], self.upper[primal]
        bounds = [(a if np.isfinite(a) else None, b if np.isfinite(b) else None)
                  for a, b in zip(lo, hi, strict=True)]
        res = minimize(fun, np.clip(z[primal], lo, hi), jac=True, method="L-BFGS-B",
                       bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
        return np.asarray(res.x, dtype=float)


def _selector(mask: np.ndarray) -> slice | np.ndarray:
    """A slice when ``mask`` is one contiguous run (cheap views), else the index array."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return slice(0, 0)
    if idx[-1] - idx[0] + 1 == idx.size:
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


class SaddleAlgebra(UWDAlgebra):
    """Open saddle problems: Lagrangians add along the gluing, ``L = sum_b L_b o phi_b^*``.

    Assembling checks that no coordinate is glued both as primal and as dual, and that no
    bounded primal coordinate is shared."""

    name = "saddle"

    def assemble(self, parts: OpenParts) -> OpenSaddle:
        obj = OpenSaddle.assembled(parts, self)
        obj._check_kinds()
        return obj


def _kinds(space: Space, dual: Sequence[str] | None) -> np.ndarray:
    mask = np.zeros(space.n, dtype=bool)
    for name in dual or ():
        if name not in space.names:
            raise SpaceError(f"dual variable {name!r} is not a variable of the space "
                             f"{list(space.names)}")
        mask[space.slice(name)] = True
    return mask


def _bounds(space: Space, bounds: Mapping[str, Any] | None,
            dual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.full(space.n, -np.inf), np.full(space.n, np.inf)
    for name, (a, b) in (bounds or {}).items():
        if name not in space.names:
            raise SpaceError(f"bounds name unknown variable {name!r}; variables are "
                             f"{list(space.names)}")
        sl = space.slice(name)
        if dual[sl].any():
            raise SpaceError(f"bounds on dual variable {name!r}: bounds are supported on primal "
                             "variables only (projection in the primal step)")
        lo[sl] = -np.inf if a is None else a
        hi[sl] = np.inf if b is None else b
    return lo, hi


class OpenSaddle(Open):
    """An open saddle problem ``(S, L, m)``: ``L`` convex in the primal variables, concave in
    the ``dual`` ones, with ports ``m`` (primal or dual variables).

    Parameters
    ----------
    lagrangian
        ``L``, called like an :class:`~catopt.OpenProblem` objective (one array per
        variable of a named space, in space order; a flat vector for an integer space).
    space
        The decision space, primal and dual variables together.
    ports
        The exposed variables.
    dual
        The names of the dual variables (for an integer space, their indices as strings).
    grad
        Optional gradient (or subgradient selection) with ``lagrangian``'s signature,
        returning a flat vector.
    argmin
        Optional closed-form inner minimizer ``argmin(z) -> x`` (flat primal block).
    bounds
        ``{name: (lower, upper)}`` for primal variables (None for no bound).
    """

    def __init__(self, lagrangian: Callable[..., Any], space: int | Mapping[str, Any] | Space,
                 ports: Sequence[Any] | None = (), *, dual: Sequence[str] = (),
                 grad: Callable[..., Any] | None = None,
                 argmin: Callable[[np.ndarray], Any] | None = None,
                 bounds: Mapping[str, Any] | None = None, name: str | None = None,
                 backend: Any = None) -> None:
        if not callable(lagrangian):
            raise ObjectiveError(f"lagrangian must be callable, got {type(lagrangian).__name__}")
        sp = Space.from_spec(space)
        mask = _kinds(sp, dual)
        lo, hi = _bounds(sp, bounds, mask)
        if sp.integer:
            flat: Callable[[Any], Any] = lagrangian
        else:
            views = sp.views

            def flat(x: Any) -> Any:
                return lagrangian(*views(x))

        if grad is not None:
            g_flat = grad if sp.integer else (lambda x: grad(*sp.views(x)))

            def vg(x: np.ndarray) -> tuple[Any, Any]:
                return flat(x), g_flat(x)

            backend_name = "manual"
        else:
            be = get_backend(backend)
            vg = be.value_and_grad(flat)
            backend_name = getattr(be, "name", type(be).__name__)
        what = f"Lagrangian of {name!r}" if name else "Lagrangian"
        leaf = SaddleLeaf(sp.n, flat, vg, mask, lo, hi, argmin, what=what, backend=backend_name)
        Open.__init__(self, OpenParts(sp, resolve_ports(sp, ports), (leaf,), (name or "L",),
                                      None, name=name), SaddleAlgebra())

    @classmethod
    def algebra_of(cls, ring: Any = None) -> SaddleAlgebra:
        return SaddleAlgebra(REAL if ring is None else ring)

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def from_leaf(cls, leaf: SaddleLeaf, space: Space, ports: Sequence[Any] = (),
                  name: str | None = None) -> OpenSaddle:
        """The open saddle problem of one leaf on ``space``."""
        if leaf.size != space.n:
            raise ShapeError(f"a leaf of size {leaf.size} on a space of {space.n} coordinates")
        return SaddleAlgebra().assemble(OpenParts(space, resolve_ports(space, ports), (leaf,),
                                                  (name or "L",), None, name=name))

    @classmethod
    def quadratic(cls, Q: Any, c: Any, A: Any, b: Any, *,
                  primal: int | Mapping[str, Any] = 0, dual: int | Mapping[str, Any] = 0,
                  ports: Sequence[Any] = (), R: Any = None,
                  bounds: Mapping[str, Any] | None = None,
                  name: str | None = None) -> OpenSaddle:
        """``L(x, lam) = 1/2 x'Qx + c'x + lam'(Ax - b) - 1/2 lam'R lam``: the Lagrangian of
        the equality-constrained QP ``min 1/2 x'Qx + c'x s.t. Ax = b`` (``R = 0``).

        ``primal`` and ``dual`` are the variables (an int is that many scalars named
        ``x0, x1, ...`` / ``l0, l1, ...``; a mapping names shaped variables), primal first in
        the space. With ``Q`` positive definite and no bounds the inner minimizer is the
        closed form ``x*(lam) = -Q^{-1}(c + A' lam)``; with bounds and a diagonal ``Q`` it is
        that clipped to the bounds (exact, since the problem is separable); otherwise scipy.
        """
        Q, c, A, b = (np.asarray(v, dtype=float) for v in (Q, c, A, b))
        pv = {f"x{i}": () for i in range(primal)} if isinstance(primal, int) else dict(primal)
        dv = {f"l{i}": () for i in range(dual)} if isinstance(dual, int) else dict(dual)
        if set(pv) & set(dv):
            raise SpaceError(f"primal and dual variables share names {sorted(set(pv) & set(dv))}")
        sp = Space(list(pv.items()) + list(dv.items()))
        n = sum(int(np.prod(s, dtype=int)) for s in pv.values())
        m = sp.n - n
        R = np.zeros((m, m)) if R is None else np.asarray(R, dtype=float)
        for arr, shape, what in ((Q, (n, n), "Q"), (c, (n,), "c"), (A, (m, n), "A"),
                                 (b, (m,), "b"), (R, (m, m), "R")):
            if arr.shape != shape:
                raise ShapeError(f"{what} has shape {arr.shape}; the primal variables have {n} "
                                 f"coordinates and the dual ones {m}, so expected {shape}")
        mask = np.arange(sp.n) >= n
        lo, hi = _bounds(sp, bounds, mask)
        Qs = 0.5 * (Q + Q.T)

        def value(z: np.ndarray) -> float:
            x, lam = z[:n], z[n:]
            return float(0.5 * x @ Q @ x + c @ x + lam @ (A @ x - b) - 0.5 * lam @ R @ lam)

        def vg(z: np.ndarray) -> tuple[float, np.ndarray]:
            x, lam = z[:n], z[n:]
            g = np.concatenate([Qs @ x + c + A.T @ lam, A @ x - b - 0.5 * (R + R.T) @ lam])
            return value(z), g

        argmin = None
        bounded = bool(np.isfinite(lo).any() or np.isfinite(hi).any())
        diag = np.allclose(Qs, np.diag(np.diag(Qs))) and bool(np.all(np.diag(Qs) > 0))
        if not bounded and n and np.all(np.linalg.eigvalsh(Qs) > 0):
            chol = np.linalg.cholesky(Qs)

            def argmin(z: np.ndarray) -> np.ndarray:
                r = -(c + A.T @ z[n:])
                return np.linalg.solve(chol.T, np.linalg.solve(chol, r))
        elif bounded and diag:
            qd = np.diag(Qs)

            def argmin(z: np.ndarray) -> np.ndarray:
                return np.clip(-(c + A.T @ z[n:]) / qd, lo[:n], hi[:n])
        what = f"Lagrangian of {name!r}" if name else "Lagrangian"
        leaf = SaddleLeaf(sp.n, value, vg, mask, lo, hi, argmin, what=what, backend="manual")
        return cls.from_leaf(leaf, sp, ports, name)

    @classmethod
    def equality(cls, objective: Callable[..., Any], primal: int | Mapping[str, Any], A: Any,
                 b: Any, *, dual: int | Mapping[str, Any] | None = None,
                 ports: Sequence[Any] = (), argmin: Callable[[np.ndarray], Any] | None = None,
                 bounds: Mapping[str, Any] | None = None, name: str | None = None,
                 backend: Any = None) -> OpenSaddle:
        """The Lagrangian ``L(x, lam) = f(x) + lam'(Ax - b)`` of ``min f(x) s.t. Ax = b``.

        ``objective`` is called on the primal variables (as an OpenProblem objective);
        ``dual`` names the multipliers (default ``{"lam": (m,)}``)."""
        A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
        if A.ndim != 2 or b.shape != (A.shape[0],):
            raise ShapeError(f"A must be a matrix and b a vector with one entry per row of A; "
                             f"got shapes {A.shape} and {b.shape}")
        psp = Space.from_spec(primal)
        m = A.shape[0]
        if A.shape[1] != psp.n:
            raise ShapeError(f"A has {A.shape[1]} columns but the primal variables have "
                             f"{psp.n} coordinates")
        pv = [(f"x{nm}" if psp.integer else nm, s) for nm, s in zip(psp.names, psp.shapes,
                                                                       strict=True)]
        dv = list(({"lam": (m,)} if dual is None else
                   ({f"l{i}": () for i in range(dual)} if isinstance(dual, int) else dual)
                   ).items())
        sp = Space(pv + dv)
        if sp.n != psp.n + m:
            raise ShapeError(f"the dual variables have {sp.n - psp.n} coordinates but A has "
                             f"{m} rows")
        n = psp.n
        import autograd.numpy as anp

        views = psp.views

        def f_flat(x: Any) -> Any:
            return objective(x) if psp.integer else objective(*views(x))

        def lag(z: Any) -> Any:
            return f_flat(z[:n]) + anp.dot(z[n:], anp.dot(A, z[:n]) - b)

        mask = np.arange(sp.n) >= n
        lo, hi = _bounds(sp, bounds, mask)
        be = get_backend(backend)
        what = f"Lagrangian of {name!r}" if name else "Lagrangian"
        leaf = SaddleLeaf(sp.n, lag, be.value_and_grad(lag), mask, lo, hi, argmin, what=what,
                          backend=getattr(be, "name", "autograd"))
        return cls.from_leaf(leaf, sp, ports, name)

    # -- structure ----------------------------------------------------------------------------
    def _read_counts(self) -> np.ndarray:
        return np.bincount(self.parts.gather_index, minlength=self.n)

    def _leaf_array(self, attr: str) -> np.ndarray:
        leaves = self.parts.leaves
        if not leaves:
            return np.zeros(0)
        return np.concatenate([getattr(leaf, attr) for leaf in leaves])

    def _check_kinds(self) -> None:
        idx = self.parts.gather_index
        if not self.parts.leaves:
            return
        dual = self._leaf_array("dual").astype(float)
        reads = self._read_counts()
        duals = np.bincount(idx, weights=dual, minlength=self.n)
        mixed = np.flatnonzero((duals > 0) & (duals < reads))
        if mixed.size:
            k = int(mixed[0])
            raise CompositionError(
                f"{self.labels[k]!r} glues a primal variable to a dual one; a junction of a "
                "saddle problem joins primal variables only or dual variables only")
        bounded = np.bincount(idx, weights=self._leaf_array("bounded").astype(float),
                              minlength=self.n)
        shared = np.flatnonzero((bounded > 0) & (reads > 1))
        if shared.size:
            k = int(shared[0])
            raise CompositionError(
                f"{self.labels[k]!r} is a bounded primal variable glued to another; bounds are "
                "supported on unshared primal variables only (a projection does not commute "
                "with summing the boxes' increments)")

    @property
    def dual_mask(self) -> np.ndarray:
        """True on the dual coordinates (a coordinate no leaf reads counts as primal)."""
        idx = self.parts.gather_index
        out = np.zeros(self.n, dtype=bool)
        if idx.size:
            out[idx[self._leaf_array("dual").astype(bool)]] = True
        return out

    @property
    def primal_mask(self) -> np.ndarray:
        return ~self.dual_mask

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds per coordinate (``-inf`` where none)."""
        out = np.full(self.n, -np.inf)
        if self.parts.leaves:
            out[self.parts.gather_index] = self._leaf_array("lower")
        return out

    @property
    def upper(self) -> np.ndarray:
        """Upper bounds per coordinate (``inf`` where none)."""
        out = np.full(self.n, np.inf)
        if self.parts.leaves:
            out[self.parts.gather_index] = self._leaf_array("upper")
        return out

    def dual_part(self) -> tuple[Space, tuple[int, ...], np.ndarray]:
        """The space, ports and gather index restricted to the dual variables (every variable
        some leaf reads as primal dropped; the index reads the leaves' dual coordinates).
        Needs every primal variable private and unexposed (then dropping commutes with
        composition)."""
        parts = self.parts
        sp = self.space
        leaf_primal = ~self._leaf_array("dual").astype(bool) if parts.leaves else \
            np.zeros(0, bool)
        primal_read = np.bincount(parts.gather_index, weights=leaf_primal.astype(float),
                                  minlength=sp.n) > 0
        keep_var = [not bool(primal_read[sp.slice(v)].any()) for v in range(len(sp))]
        for v in parts.ports:
            if not keep_var[v]:
                raise CompositionError(f"port variable {sp.names[v]!r} is primal; a dual-only "
                                       "system needs ports on dual variables only")
        new_sp = Space([(nm, sh) for nm, sh, k in zip(sp.names, sp.shapes, keep_var,
                                                      strict=True) if k])
        remap = np.full(sp.n, -1, dtype=np.int64)
        var_new = np.cumsum(keep_var) - 1
        for v in range(len(sp)):
            if keep_var[v]:
                remap[sp.slice(v)] = np.arange(*new_sp.slice(int(var_new[v])).indices(new_sp.n))
        index = remap[parts.gather_index[~leaf_primal]]
        ports = tuple(int(var_new[v]) for v in parts.ports)
        return new_sp, ports, index

    def primal_shared(self) -> np.ndarray:
        """The primal coordinates read by more than one leaf coordinate."""
        return np.flatnonzero(self.primal_mask & (self._read_counts() > 1))

    # -- evaluation ---------------------------------------------------------------------------
    def lagrangian(self, z: Any) -> float:
        """``L(z) = sum_b L_b(phi_b^* z)``."""
        return self.program.value(self.check_state(z))

    def gradient(self, z: Any) -> np.ndarray:
        """``grad L(z) = phi_* sum_b grad L_b(phi_b^* z)`` (primal and dual parts)."""
        return self.program.value_and_grad(self.check_state(z))[1]

    def value_and_grad(self, z: Any) -> tuple[float, np.ndarray]:
        return self.program.value_and_grad(self.check_state(z))

    def __call__(self, z: Any) -> float:
        return self.lagrangian(z)
