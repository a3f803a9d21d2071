"""Quadratic box families: boxes whose objectives are quadratic, compiled into one sparse
operator by the program.

``QuadraticFamily(space, ports, Q=Q, q=q, r=r)`` is ``N`` boxes
``f_i(x) = 1/2 x^T Q_i x + q_i^T x + r_i``; ``QuadraticFamily.least_squares(space, ports,
A=A, b=b, weight=W)`` the boxes ``f_i(x) = 1/2 (A_i x - b_i)^T W (A_i x - b_i)``, i.e.
``Q_i = A_i^T W A_i``, ``q_i = -A_i^T W b_i``, ``r_i = 1/2 b_i^T W b_i``. They are box
families (``problems()``, ``fuse_families``, every engine), and their leaves declare their
:class:`~catopt.program.quadratic.Quadratic` form, so a composite's program evaluates all of
them as one sparse product ``H y + c`` with ``H = phi^T blockdiag(Q) phi`` (see
:mod:`catopt.program.quadratic`). On their own (one box, or on an MPI rank) they evaluate
as a batched ``Q_i x_i`` over the boxes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from catopt.algebra.finset import Space
from catopt.errors import ObjectiveError
from catopt.problems.family import BoxFamily
from catopt.program.quadratic import Quadratic

__all__ = ["QuadraticFamily"]


def _array(value: Any, shape: tuple[int, ...], what: str, name: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ObjectiveError(f"quadratic family {name!r}: {what} must be an array of numbers, "
                             f"got {type(value).__name__}") from None
    if arr.shape != shape:
        raise ObjectiveError(f"quadratic family {name!r}: {what} has shape {arr.shape}, "
                             f"expected {shape}")
    if not np.isfinite(arr).all():
        raise ObjectiveError(f"quadratic family {name!r}: {what} has NaN or infinite entries")
    return arr


def _leading(value: Any, ndim: int, what: str, name: str) -> int:
    """The number of boxes: the leading axis of ``value``, which must have ``ndim`` axes."""
    try:
        shape = np.shape(value)
    except ValueError:  # a ragged nesting
        shape = ()
    if len(shape) != ndim or shape[0] < 1:
        raise ObjectiveError(f"quadratic family {name!r}: {what} must have {ndim} axes, the "
                             f"first one per box (N >= 1), got shape {shape}")
    return int(shape[0])


def _ndim(value: Any) -> int:
    try:
        return int(np.ndim(value))
    except ValueError:
        return -1


def _values(X: np.ndarray, Q: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.sum(X * (0.5 * np.einsum("kij,kj->ki", Q, X) + q), axis=1) + r


def _value_and_grad(X: np.ndarray, Q: np.ndarray, q: np.ndarray, r: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    QX = np.einsum("kij,kj->ki", Q, X)
    return np.sum(X * (0.5 * QX + q), axis=1) + r, QX + q


def _grad(X: np.ndarray, Q: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.einsum("kij,kj->ki", Q, X) + q


class QuadraticFamily(BoxFamily):
    """``N`` boxes ``f_i(x) = 1/2 x^T Q_i x + q_i^T x + r_i`` on one space.

    Parameters
    ----------
    space, ports
        As for :class:`~catopt.BoxFamily` (the same for every box; ``n`` coordinates).
    Q
        ``(N, n, n)``; only its symmetric part ``(Q_i + Q_i^T) / 2`` matters and is kept.
    q
        ``(N, n)``, default zeros.
    r
        ``(N,)``, default zeros.
    name
        For messages and leaf names.
    """

    def __init__(self, space: int | Mapping[str, Any] | Space, ports: Sequence[Any] = (), *,
                 Q: Any, q: Any = None, r: Any = None, name: str = "quadratic") -> None:
        n = Space.from_spec(space).n
        N = _leading(Q, 3, "Q", name)
        Qa = _array(Q, (N, n, n), "Q", name)
        Qa = 0.5 * (Qa + Qa.transpose(0, 2, 1))
        qa = np.zeros((N, n)) if q is None else _array(q, (N, n), "q", name)
        ra = np.zeros(N) if r is None else _array(r, (N,), "r", name)
        super().__init__(_values, space, ports, data={"Q": Qa, "q": qa, "r": ra}, name=name,
                         grad=_grad, value_and_grad=_value_and_grad)

    @classmethod
    def least_squares(cls, space: int | Mapping[str, Any] | Space, ports: Sequence[Any] = (),
                      *, A: Any, b: Any = None, weight: Any = None,
                      name: str = "least_squares") -> QuadraticFamily:
        """The boxes ``1/2 (A_i x - b_i)^T W (A_i x - b_i)``: ``A`` of shape ``(N, p, n)``,
        ``b`` of shape ``(N, p)`` (default zeros), ``weight`` ``W`` one ``(p, p)`` matrix or
        ``(N, p, p)`` (default the identity)."""
        n = Space.from_spec(space).n
        N = _leading(A, 3, "A", name)
        p = int(np.shape(A)[1])
        Aa = _array(A, (N, p, n), "A", name)
        ba = np.zeros((N, p)) if b is None else _array(b, (N, p), "b", name)
        if weight is None:
            WA, Wb = Aa, ba
        else:
            W = _array(weight, (p, p) if _ndim(weight) == 2 else (N, p, p), "weight", name)
            W = np.broadcast_to(W, (N, p, p))
            WA, Wb = W @ Aa, np.einsum("kij,kj->ki", W, ba)
        Q = np.einsum("kji,kjl->kil", Aa, WA)
        q = -np.einsum("kji,kj->ki", Aa, Wb)
        r = 0.5 * np.sum(ba * Wb, axis=1)
        return cls(space, ports, Q=Q, q=q, r=r, name=name)

    def quadratic_form(self, members: list[int]) -> Quadratic:
        """The forms of boxes ``members``, stacked as one block per box."""
        rows: Any = np.asarray(members, dtype=np.int64)
        k = len(rows)
        if k and np.array_equal(rows, np.arange(rows[0], rows[0] + k)):
            rows = slice(int(rows[0]), int(rows[0]) + k)  # contiguous: views
        d = self.data
        return Quadratic(d["Q"][rows], d["q"][rows].ravel(), float(np.sum(d["r"][rows])))
