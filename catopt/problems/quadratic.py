"""Quadratic box families: boxes whose objectives are quadratic, compiled into one sparse
operator by the program.

- ``QuadraticFamily(space, ports, Q=Q, q=q, r=r)``: ``N`` boxes
  ``f_i(x) = 1/2 x^T Q_i x + q_i^T x + r_i``;
- ``LeastSquaresFamily(space, ports, A=A, b=b, weight=W)``: ``N`` boxes
  ``f_i(x) = 1/2 (A_i x - b_i)^T W (A_i x - b_i)``, evaluated on their own through the
  residual (so their values are accurate near a zero residual), with the quadratic form
  ``Q_i = A_i^T W A_i``, ``q_i = -A_i^T W b_i``, ``r_i = 1/2 b_i^T W b_i``.

They are box families (``problems()``, ``fuse_families``, every engine), and their leaves
declare their :class:`~catopt.program.quadratic.Quadratic` form, so a composite's program
evaluates all of them as one sparse product ``H y + c`` with ``H = phi^T blockdiag(Q) phi``
(see :mod:`catopt.program.quadratic`). On their own (one box, or on an MPI rank) they
evaluate as batched products over the boxes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from catopt.algebra.finset import Space
from catopt.errors import ObjectiveError
from catopt.problems.family import BoxFamily
from catopt.program.quadratic import Quadratic

__all__ = ["QuadraticFamily", "LeastSquaresFamily"]


def _leading(value: Any, ndim: int, what: str, name: str) -> int:
    """The number of boxes: the leading axis of ``value``, which must have ``ndim`` axes."""
    try:
        shape = np.shape(value)
    except ValueError:  # a ragged nesting
        shape = ()
    if len(shape) != ndim or shape[0] < 1:
        raise ObjectiveError(f"family {name!r}: {what} must have {ndim} axes, the first one "
                             f"per box (N >= 1), got shape {shape}")
    return int(shape[0])


def _array(value: Any, shape: tuple[int, ...], what: str, name: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ObjectiveError(f"family {name!r}: {what} must be an array of numbers, got "
                             f"{type(value).__name__}") from None
    if arr.shape != shape:
        raise ObjectiveError(f"family {name!r}: {what} has shape {arr.shape}, expected {shape}")
    if not np.isfinite(arr).all():
        raise ObjectiveError(f"family {name!r}: {what} has NaN or infinite entries")
    return arr


def _ndim(value: Any) -> int:
    try:
        return int(np.ndim(value))
    except ValueError:
        return -1


def _rows(members: list[int]) -> Any:
    """``members`` as an index: a slice when contiguous (views, no copies)."""
    rows = np.asarray(members, dtype=np.int64)
    k = len(rows)
    if k and np.array_equal(rows, np.arange(rows[0], rows[0] + k)):
        return slice(int(rows[0]), int(rows[0]) + k)
    return rows


def _mv(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``M_i x_i`` for every box: ``(k, p, n) x (k, n) -> (k, p)``."""
    return np.einsum("kij,kj->ki", M, X)


def _tmv(M: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``M_i^T y_i`` for every box: ``(k, p, n) x (k, p) -> (k, n)``."""
    return np.einsum("kji,kj->ki", M, Y)


# -- Q x + q ------------------------------------------------------------------------------------
def _q_values(X: np.ndarray, Q: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.sum(X * (0.5 * _mv(Q, X) + q), axis=1) + r


def _q_grad(X: np.ndarray, Q: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    return _mv(Q, X) + q


def _q_value_and_grad(X: np.ndarray, Q: np.ndarray, q: np.ndarray, r: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    QX = _mv(Q, X)
    return np.sum(X * (0.5 * QX + q), axis=1) + r, QX + q


# -- least squares -------------------------------------------------------------------------------
def _weighted(X: np.ndarray, A: np.ndarray, b: np.ndarray, W: np.ndarray | None
              ) -> tuple[np.ndarray, np.ndarray]:
    """The residuals ``A_i x_i - b_i`` and their weighted copies ``W (A_i x_i - b_i)``."""
    R = _mv(A, X) - b
    return R, (R if W is None else _mv(W, R))


def _ls_values(X: np.ndarray, A: np.ndarray, b: np.ndarray, W: np.ndarray | None = None
               ) -> np.ndarray:
    R, WR = _weighted(X, A, b, W)
    return 0.5 * np.sum(R * WR, axis=1)


def _ls_grad(X: np.ndarray, A: np.ndarray, b: np.ndarray, W: np.ndarray | None = None
             ) -> np.ndarray:
    return _tmv(A, _weighted(X, A, b, W)[1])


def _ls_value_and_grad(X: np.ndarray, A: np.ndarray, b: np.ndarray,
                       W: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    R, WR = _weighted(X, A, b, W)
    return 0.5 * np.sum(R * WR, axis=1), _tmv(A, WR)


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

    Notes
    -----
    The family keeps read-only copies of its data: programs compile the boxes' quadratic
    form once, so the numbers cannot change under them (build a new family instead).
    """

    def __init__(self, space: int | Mapping[str, Any] | Space, ports: Sequence[Any] = (), *,
                 Q: Any, q: Any = None, r: Any = None, name: str = "quadratic") -> None:
        n = Space.from_spec(space).n
        N = _leading(Q, 3, "Q", name)
        Qa = _array(Q, (N, n, n), "Q", name)
        Qa = 0.5 * (Qa + Qa.transpose(0, 2, 1))
        qa = np.zeros((N, n)) if q is None else _array(q, (N, n), "q", name)
        ra = np.zeros(N) if r is None else _array(r, (N,), "r", name)
        super().__init__(_q_values, space, ports, data={"Q": Qa, "q": qa, "r": ra}, name=name,
                         grad=_q_grad, value_and_grad=_q_value_and_grad)
        self._freeze()

    def _freeze(self) -> None:
        """Make the data read-only (copies of what the caller passed): a program compiles
        these boxes' quadratic form once (``Program.compiled``), so data changed in place
        afterwards would leave the compiled operator stale while the generic kernel read the
        new numbers. To change the data, build a new family."""
        for k, v in self.data.items():
            if v.flags.writeable:
                v = v.copy()
                v.flags.writeable = False
                self.data[k] = v

    def form(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(Q, q, r)`` of every box: ``(N, n, n)``, ``(N, n)``, ``(N,)``."""
        d = self.data
        return d["Q"], d["q"], d["r"]

    def quadratic_form(self, members: list[int]) -> Quadratic:
        """The forms of boxes ``members``, stacked as one block per box."""
        rows = _rows(members)
        Q, q, r = self.form()
        return Quadratic(Q[rows], q[rows].ravel(), float(np.sum(r[rows])))


class LeastSquaresFamily(QuadraticFamily):
    """``N`` boxes ``f_i(x) = 1/2 (A_i x - b_i)^T W_i (A_i x - b_i)`` on one space.

    Parameters
    ----------
    space, ports
        As for :class:`~catopt.BoxFamily` (``n`` coordinates).
    A
        ``(N, p, n)``.
    b
        ``(N, p)``, default zeros.
    weight
        ``W``: one symmetric ``(p, p)`` matrix for every box, or ``(N, p, p)``; default the
        identity.
    name
        For messages and leaf names.

    Notes
    -----
    As for :class:`QuadraticFamily`, the data is kept read-only.
    """

    def __init__(self, space: int | Mapping[str, Any] | Space, ports: Sequence[Any] = (), *,
                 A: Any, b: Any = None, weight: Any = None,
                 name: str = "least_squares") -> None:
        n = Space.from_spec(space).n
        N = _leading(A, 3, "A", name)
        p = int(np.shape(A)[1])
        Aa = _array(A, (N, p, n), "A", name)
        ba = np.zeros((N, p)) if b is None else _array(b, (N, p), "b", name)
        data = {"A": Aa, "b": ba}
        if weight is not None:
            one = _ndim(weight) == 2
            W = _array(weight, (p, p) if one else (N, p, p), "weight", name)
            if not np.allclose(W, np.swapaxes(W, -1, -2), rtol=1e-12, atol=0.0):
                raise ObjectiveError(f"family {name!r}: weight must be symmetric")
            data["W"] = np.broadcast_to(W, (N, p, p)) if one else W
        self._form: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        BoxFamily.__init__(self, _ls_values, space, ports, data=data, name=name, grad=_ls_grad,
                           value_and_grad=_ls_value_and_grad)
        self._freeze()

    def form(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(Q, q, r)`` of every box, computed from ``A``, ``b`` and ``W`` once."""
        if self._form is None:
            d = self.data
            A, b = d["A"], d["b"]
            W = d.get("W")
            WA, Wb = (A, b) if W is None else (W @ A, _mv(W, b))
            self._form = (np.einsum("kji,kjl->kil", A, WA), -_tmv(A, Wb),
                          0.5 * np.sum(b * Wb, axis=1))
        return self._form
