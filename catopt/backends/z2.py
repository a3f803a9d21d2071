"""Polynomials over Z2: Boolean circuits as a Cartesian reverse derivative category.

A :class:`Z2Poly` is a *formal* polynomial with coefficients in Z2 = {0, 1}: a set of
monomials, each a map from variables to exponents. Keep two things apart:

- the formal polynomial, with formal partial derivatives ``d/dx_i x_i^k = k x_i^(k-1)``
  (so ``d/dx (x*x) = 2x = 0``);
- the Boolean function it evaluates to on {0, 1}^n, where ``x^k = x`` (so ``x*x`` *is* ``x``,
  whose derivative is 1).

They agree on multilinear polynomials (every exponent 1): :meth:`Z2Poly.multilinear` maps a
formal polynomial to the multilinear one with the same Boolean function.

The reverse derivative of a map ``f = (f_1, ..., f_m): Z2^n -> Z2^m`` is
``R[f](x, dy)_i = sum_j dy_j (d f_j / d x_i)(x)`` (mod 2); the generalized gradient of a
scalar ``f`` is ``R[f](x, 1)``. Z2 is not an ordered ring (``1 + 1 = 0``, and there is no
"downhill"), and ``-1 = 1``, so a descent step is ``x <- x + R[f](x, 1)``: an XOR.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.errors import CatoptError

__all__ = ["Z2Poly", "var", "const", "reverse_derivative", "evaluate", "substitute",
           "as_bits", "Z2Backend"]

Monomial = tuple[tuple[int, int], ...]  # sorted (variable, exponent >= 1) pairs


def as_bits(x: Any, what: str = "x", n: int | None = None) -> np.ndarray:
    """``x`` as a 0/1 integer vector (of length ``n`` if given); entries other than 0 and 1
    raise instead of being silently reduced (``0.5`` or ``2`` is not an element of Z2)."""
    a = np.asarray(x)
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        want = "a vector" if n is None else f"a vector of length {n}"
        raise CatoptError(f"{what} must be {want} over Z2, got shape {a.shape}")
    if a.dtype == bool:
        return a.astype(np.int64)
    if a.dtype.kind not in "iuf" or not np.isin(a, (0, 1)).all():
        raise CatoptError(f"{what} must have entries 0 or 1 (elements of Z2), got {a.tolist()}")
    return a.astype(np.int64)


def _mono(d: Mapping[int, int]) -> Monomial:
    return tuple(sorted((v, e) for v, e in d.items() if e > 0))


class Z2Poly:
    """A formal polynomial over Z2 (immutable). Build with :func:`var`, :func:`const`, ``+``
    (XOR) and ``*`` (AND)."""

    __slots__ = ("monomials", "_E")

    def __init__(self, monomials: Iterable[Monomial] = ()) -> None:
        out: set[Monomial] = set()
        for m in monomials:
            out ^= {m}  # coefficients in Z2: a repeated monomial cancels
        self.monomials: frozenset[Monomial] = frozenset(out)
        self._E: np.ndarray | None = None

    def exponents(self) -> np.ndarray:
        """The exponent matrix ``E`` (monomials x variables ``0..max``), cached."""
        if self._E is None:
            width = 1 + max(self.variables, default=-1)
            E = np.zeros((len(self.monomials), width), dtype=np.int64)
            for k, m in enumerate(self.monomials):
                for v, e in m:
                    E[k, v] = e
            self._E = E
        return self._E

    def gradient(self, x: Sequence[int] | np.ndarray, n: int | None = None) -> np.ndarray:
        """All formal partials at ``x`` at once, ``(d/dx_i p)(x)`` for ``i < n``, vectorized
        over monomials: monomial ``k`` contributes to ``i`` iff ``E_ki`` is odd and every
        factor of ``x^(E_k - 1_i)`` is 1 at ``x``."""
        E = self.exponents()
        w = E.shape[1]
        n = w if n is None else n
        if n < w:
            raise CatoptError(f"{self!r} uses x{w - 1}: its gradient has at least {w} entries, "
                              f"asked for {n}")
        _fits(self, x, n)
        out = np.zeros(n, dtype=np.int64)
        if w == 0 or not len(E):
            return out
        xz = np.asarray(x)[:w] == 0
        fails = (E > 0) & xz
        after = (E > 1) & xz  # x_i^(e_i - 1) still vanishes at x_i = 0
        alive = (E % 2 == 1) & (fails.sum(axis=1, keepdims=True) - fails + after == 0)
        out[:w] = alive.sum(axis=0) % 2
        return out

    # -- ring operations -------------------------------------------------------------------
    def __add__(self, other: Any) -> Z2Poly:
        o = _coerce(other)
        return Z2Poly(self.monomials ^ o.monomials)

    __radd__ = __add__
    __sub__ = __add__  # -1 = 1 in Z2
    __rsub__ = __add__

    def __mul__(self, other: Any) -> Z2Poly:
        o = _coerce(other)
        terms: list[Monomial] = []
        for a in self.monomials:
            for b in o.monomials:
                d = dict(a)
                for v, e in b:
                    d[v] = d.get(v, 0) + e
                terms.append(_mono(d))
        return Z2Poly(terms)

    __rmul__ = __mul__

    def __pow__(self, k: int) -> Z2Poly:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise CatoptError(f"a Z2 polynomial's power must be a non-negative int, got {k!r} "
                              f"(Z2 polynomials have no inverses)")
        out = const(1)
        for _ in range(k):
            out = out * self
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Z2Poly) and self.monomials == other.monomials

    def __hash__(self) -> int:
        return hash(self.monomials)

    def __bool__(self) -> bool:
        return bool(self.monomials)

    # -- structure -------------------------------------------------------------------------
    @property
    def variables(self) -> frozenset[int]:
        return frozenset(v for m in self.monomials for v, _ in m)

    @property
    def is_multilinear(self) -> bool:
        return all(e == 1 for m in self.monomials for _, e in m)

    def multilinear(self) -> Z2Poly:
        """The multilinear polynomial with the same Boolean function (``x^k -> x``)."""
        return Z2Poly(tuple((v, 1) for v, _ in m) for m in self.monomials)

    def partial(self, i: int) -> Z2Poly:
        """The formal partial derivative ``d/dx_i`` (coefficients mod 2)."""
        terms = []
        for m in self.monomials:
            d = dict(m)
            e = d.get(i, 0)
            if e % 2 == 1:  # k x^(k-1) with k odd; k even gives 0 in Z2
                d[i] = e - 1
                terms.append(_mono(d))
        return Z2Poly(terms)

    def boolean_partial(self, i: int) -> Z2Poly:
        """The derivative of the Boolean function: ``f(x | x_i = 1) + f(x | x_i = 0)``."""
        return self.restrict(i, 1) + self.restrict(i, 0)

    def restrict(self, i: int, value: int) -> Z2Poly:
        """Fix ``x_i = value`` (0 or 1), as the Boolean function does."""
        terms = []
        for m in self.monomials:
            d = dict(m)
            if i in d:
                if value == 0:
                    continue
                del d[i]
            terms.append(_mono(d))
        return Z2Poly(terms)

    def __call__(self, x: Sequence[int] | np.ndarray) -> int:
        """Evaluate at a point of {0, 1}^n (as a Boolean function): the parity of the
        monomials whose variables are all 1 at ``x``."""
        E = self.exponents()
        if not E.shape[1]:
            return len(E) % 2
        _fits(self, x, E.shape[1])
        xz = np.asarray(x)[: E.shape[1]].astype(np.int64) == 0
        return int((~((E > 0) & xz).any(axis=1)).sum() % 2)

    def __repr__(self) -> str:
        if not self.monomials:
            return "0"
        parts = []
        for m in sorted(self.monomials):
            parts.append("1" if not m else "*".join(
                f"x{v}" if e == 1 else f"x{v}^{e}" for v, e in m))
        return " + ".join(parts)


def _fits(p: Z2Poly, x: Any, width: int) -> None:
    if len(x) < width:
        raise CatoptError(f"{p!r} needs a point with at least {width} bits, got {len(x)}")


def _coerce(x: Any) -> Z2Poly:
    if isinstance(x, Z2Poly):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return const(int(x))
    if isinstance(x, bool):
        return const(int(x))
    raise CatoptError(f"cannot combine a Z2 polynomial with {type(x).__name__}")


def var(i: int) -> Z2Poly:
    """The variable ``x_i``."""
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or i < 0:
        raise CatoptError(f"a Z2 variable index must be a non-negative int, got {i!r}")
    return Z2Poly([((int(i), 1),)])


def const(c: int) -> Z2Poly:
    """The constant ``c mod 2`` of an integer ``c`` (a bool is 0 or 1)."""
    if not isinstance(c, (bool, int, np.integer)):
        raise CatoptError(f"a Z2 constant must be an int (taken mod 2) or a bool, got {c!r}")
    return Z2Poly([()] if int(c) % 2 else [])


def evaluate(polys: Sequence[Z2Poly], x: Sequence[int] | np.ndarray) -> np.ndarray:
    """``f(x)`` for a map ``f = (f_1, ..., f_m)``, as a 0/1 integer array."""
    return np.array([p(x) for p in polys], dtype=np.int64)


def substitute(polys: Sequence[Z2Poly], inner: Sequence[Z2Poly]) -> list[Z2Poly]:
    """The formal composite ``polys o inner``: ``x_i`` replaced by ``inner[i]``."""
    out = []
    for p in polys:
        acc = const(0)
        for m in p.monomials:
            term = const(1)
            for v, e in m:
                if v >= len(inner):
                    raise CatoptError(f"x{v} has no substitute: inner map has {len(inner)} "
                                      "components")
                term = term * inner[v] ** e
            acc = acc + term
        out.append(acc)
    return out


def reverse_derivative(polys: Sequence[Z2Poly], n: int) -> Any:
    """``R[f](x, dy)_i = sum_j dy_j (d f_j / d x_i)(x) mod 2`` from formal derivatives."""
    polys = list(polys)
    for p in polys:
        if max(p.variables, default=-1) >= n:
            raise CatoptError(f"{p!r} uses x{max(p.variables)} but the map has only {n} inputs")

    def R(x: Sequence[int] | np.ndarray, dy: Sequence[int] | np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        for j, p in enumerate(polys):
            if int(dy[j]) % 2:
                out ^= p.gradient(x, n)
        return out

    return R


class Z2Backend:
    """The reverse-derivative backend of Boolean circuits: objectives are Z2 polynomials."""

    name = "z2"

    def value_and_grad(self, fun: Any) -> Any:
        if not isinstance(fun, Z2Poly):
            raise CatoptError("the z2 backend differentiates Z2Poly objectives; build them "
                              "with catopt.backends.z2.var and const")
        n = 1 + max(fun.variables, default=-1)
        R = reverse_derivative([fun], n)

        def vg(x: np.ndarray) -> tuple[float, np.ndarray]:
            xb = as_bits(x)
            if len(xb) < n:
                raise CatoptError(f"the Z2 objective uses x{n - 1} but the state has only "
                                  f"{len(xb)} bits")
            g = R(xb, [1])
            full = np.zeros(len(x))
            full[: len(g)] = g
            return float(fun(xb)), full

        return vg

    def reverse_derivative(self, fun: Any) -> Any:
        """``(x, dy) -> R[f](x, dy)`` for a Z2Poly or a sequence of them (a map
        ``Z2^n -> Z2^m``); ``x`` may be longer than the variables used (the rest get 0)."""
        polys = [fun] if isinstance(fun, Z2Poly) else list(fun) \
            if isinstance(fun, (list, tuple)) else None
        if not polys or not all(isinstance(p, Z2Poly) for p in polys):
            raise CatoptError("the z2 backend's reverse derivative takes a Z2Poly or a "
                              f"non-empty list of them, got {type(fun).__name__}")
        n = 1 + max((max(p.variables, default=-1) for p in polys), default=-1)
        R = reverse_derivative(polys, n)
        m = len(polys)

        def rd(x: Any, dy: Any) -> np.ndarray:
            xb = as_bits(x)
            if len(xb) < n:
                raise CatoptError(f"the Z2 map uses x{n - 1} but x has only {len(xb)} bits")
            d = as_bits(np.atleast_1d(dy), "dy", m)
            out = np.zeros(len(xb), dtype=np.int64)
            out[:n] = R(xb, d)
            return out

        return rd
