"""Quadratic leaves compiled into one sparse operator on the composite's state.

A leaf may declare that its objective is quadratic: ``leaf.quadratic_form()`` returns a
:class:`Quadratic`, ``f(x) = sum_k 1/2 x_k^T Q_k x_k + q^T x + r`` with ``x_k`` the ``k``-th
block of ``m`` coordinates of the leaf (``Q`` stacked as ``(k, m, m)``, symmetric), and says
that the vector the leaf returns is ``sign (Q x + q)`` (``+1``: an objective's gradient,
``-1``: a gradient flow's field). Composing pulls each leaf back along the gluing, so the
quadratic leaves of a program add up to

    f_Q(y) = 1/2 y^T H y + c^T y + r,   H = phi^T blockdiag(Q) phi,   c = phi^T q,

with ``phi`` the 0/1 gather matrix of those leaves' coordinates. :func:`compile_quadratic`
assembles ``H`` (scipy.sparse CSR, duplicates summed) and ``c`` (a scatter-add) once; each
evaluation is then one sparse matrix-vector product ``H y`` instead of a gather, a batched call
per leaf and a scatter. Leaves without a form run through the generic kernel
(:meth:`~catopt.program.Program.run`) on the same state, and the two parts are added.

The value is computed as ``y . (1/2 H y + c) + r``, whose rounding error is of the size of
the expanded terms, ``S = 1/2 rho |y|^2 + |c . y| + |r|`` (``rho`` the largest absolute row
sum of ``H``, so that ``|y|^T |H| |y| <= rho |y|^2``), not of the value itself: near a
minimum of a least-squares objective with a zero residual it would be noise (even negative).
So when ``|f_Q(y)| < RELATIVE * S`` the value is recomputed by the leaves themselves
(a least-squares family through its residuals: exact). With ``RELATIVE = 1e-5`` the
compiled value's relative error stays below about ``k eps / RELATIVE`` (``k`` the most
entries in a row of ``H``: under ``1e-9`` for rows of up to 45 entries, and typically far
less), while the gradient stays one sparse product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from catopt.algebra.dot import dot

__all__ = ["Quadratic", "CompiledQuadratic", "compile_quadratic", "assemble", "quadratic_of"]


@dataclass(frozen=True, eq=False)
class Quadratic:
    """``f(x) = sum_k 1/2 x_k^T Q_k x_k + q^T x + r`` on a leaf of ``Q.shape[0] * m``
    coordinates, whose vector is ``sign (Q x + q)`` (see the module docstring)."""

    Q: np.ndarray
    q: np.ndarray
    r: float
    sign: float = 1.0
    #: the leaf's own objective on its coordinates, used where the expanded form cancels
    #: (a least-squares leaf computes it through its residual); None: the expanded form
    #: block by block
    value: Callable[[np.ndarray], float] | None = None

    def own_value(self, x: np.ndarray) -> float:
        """``f(x)`` by the leaf itself, else block by block from the form."""
        if self.value is not None:
            return float(self.value(x))
        X = x.reshape(len(self.Q), -1)
        return float(np.sum(X * (0.5 * np.einsum("kij,kj->ki", self.Q, X)
                                 + self.q.reshape(X.shape)))) + self.r

    def negated(self) -> Quadratic:
        """The same objective with the vector ``-(Q x + q)``: the leaf of its gradient flow."""
        return replace(self, sign=-self.sign)


def quadratic_of(leaf: Any) -> Quadratic | None:
    """The leaf's declared form, or None (a leaf need not know the protocol)."""
    fn = getattr(leaf, "quadratic_form", None)
    return fn() if callable(fn) else None


def assemble(n: int, index: np.ndarray, forms: list[tuple[int, Quadratic]]
             ) -> tuple[Any, np.ndarray, float]:
    """``(H, c, r)``: the forms' sum pulled back to ``n`` state coordinates.

    ``forms`` pairs each form with the offset of its leaf in the gather ``index``; block
    ``k`` of a form reads state coordinates ``index[off + k m : off + (k + 1) m]``.
    ``H = sum phi_k^T Q_k phi_k`` is assembled as COO triples and converted to CSR (which sums
    duplicates: coordinates shared by several blocks), ``c = phi^T q`` by ``np.bincount``.
    """
    import scipy.sparse as sp

    rows, cols, vals, qi, qv = [], [], [], [], []
    r = 0.0
    for off, f in forms:
        k, m, _ = f.Q.shape
        idx = index[off:off + k * m].reshape(k, m)
        rows.append(np.repeat(idx, m, axis=1).ravel())
        cols.append(np.tile(idx, (1, m)).ravel())
        vals.append(np.ascontiguousarray(f.Q, dtype=float).ravel())
        qi.append(idx.ravel())
        qv.append(np.asarray(f.q, dtype=float).ravel())
        r += float(f.r)
    H = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n, n)).tocsr()
    H.sum_duplicates()
    c = np.bincount(np.concatenate(qi), weights=np.concatenate(qv), minlength=n)
    return H, c, r


#: below this fraction of the expanded terms the compiled value is recomputed by the leaves
RELATIVE = 1e-5


@dataclass(frozen=True, repr=False, eq=False)
class CompiledQuadratic:
    """The quadratic leaves of a program as ``(H, c, r)`` with one ``sign``; ``rho`` the
    largest absolute row sum of ``H``; ``index`` the state coordinates those leaves read and
    ``forms`` each form with its block ``[a, b)`` of ``index`` (for values that cancel);
    ``rest`` the program of the other leaves (None when every leaf is compiled)."""

    H: Any
    c: np.ndarray
    r: float
    sign: float
    rho: float
    index: np.ndarray
    forms: tuple[tuple[int, int, Quadratic], ...]
    rest: Any

    def __repr__(self) -> str:
        rest = 0 if self.rest is None else len(self.rest.leaves)
        return (f"CompiledQuadratic(n={len(self.c)}, nnz={self.H.nnz}, sign={self.sign:+g}, "
                f"other leaves={rest})")

    def evaluate(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        """``(f_Q(y), sign grad f_Q(y))`` with one sparse product: ``H y`` (and the leaves'
        own values when the expanded value cancels: see the module docstring)."""
        g = self.H @ y
        yHy, cy = dot(y, g), dot(self.c, y)
        v = 0.5 * yHy + cy + self.r
        if abs(v) < RELATIVE * (0.5 * self.rho * dot(y, y) + abs(cy) + abs(self.r)):
            v = self.own_value(y)
        g += self.c
        if self.sign != 1.0:
            g *= self.sign
        return v, g

    def own_value(self, y: np.ndarray) -> float:
        """``f_Q(y)`` summed from the leaves' own values (see :meth:`Quadratic.own_value`)."""
        xs = y[self.index]
        return sum((f.own_value(xs[a:b]) for a, b, f in self.forms), 0.0)


def compile_quadratic(program: Any) -> CompiledQuadratic | None:
    """The compiled form of ``program``'s quadratic leaves (those sharing the first form's
    sign), or None when it has none, its ring is not the reals, or scipy is missing."""
    if not program.ring.exact or not program.leaves:
        return None
    forms = [quadratic_of(leaf) for leaf in program.leaves]
    picked = [k for k, f in enumerate(forms) if f is not None]
    if not picked:
        return None
    try:
        import scipy.sparse  # noqa: F401
    except ImportError:  # pragma: no cover - scipy comes with the sheaves and decomp extras
        return None
    sign = forms[picked[0]].sign  # type: ignore[union-attr]
    picked = [k for k in picked if forms[k].sign == sign]  # type: ignore[union-attr]
    offs = program.offsets
    index = program.gather_index
    H, c, r = assemble(program.n, index, [(int(offs[k]), forms[k]) for k in picked])
    rho = float(np.max(abs(H) @ np.ones(program.n))) if H.nnz else 0.0
    others = sorted(set(range(len(program.leaves))) - set(picked))
    pos = _positions(offs, picked)
    ends = np.cumsum([0] + [int(offs[k + 1] - offs[k]) for k in picked]).tolist()
    blocks = tuple((ends[i], ends[i + 1], forms[k]) for i, k in enumerate(picked))
    return CompiledQuadratic(H, c, r, float(sign), rho, index[pos], blocks,  # type: ignore[arg-type]
                             _part(program, others) if others else None)


def _positions(offs: np.ndarray, leaves: list[int]) -> np.ndarray:
    """The leaf coordinates of some leaves, concatenated."""
    return np.concatenate([np.arange(offs[k], offs[k + 1]) for k in leaves]).astype(np.int64)


def _part(program: Any, leaves: list[int]) -> Any:
    """The program of some of ``program``'s leaves, on the same state (not compiled again)."""
    pos = _positions(program.offsets, leaves)
    return type(program)(program.n, [program.leaves[k] for k in leaves],
                         [program.leaf_names[k] for k in leaves], program.gather_index[pos],
                         program.ring, compile=False)
