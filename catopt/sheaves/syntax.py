"""A small text syntax for cellular sheaves, in the style of :func:`catopt.relation` and
AO.jl's ``@cellular_sheaf``.

    x::Stalk{4}, y::Stalk{4}, z::Stalk{4}
    A(x) == B(y)        # an edge: A x_x - B x_y = 0
    A*x == C(z)         # the same with '*'

Vertices are declared ``name::Stalk{d}``; each equation ``R(u) == S(v)`` declares one edge
``(u, v)`` with restriction maps ``R`` and ``S`` taken from ``maps``; its edge stalk is the
maps' common row count. Statements are separated by newlines, commas or semicolons; ``#``
starts a comment. Vertex indices follow declaration order, edge indices equation order, and
the coboundary's signs are (+left, -right), as in AO.jl.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from catopt.limits import check_limit
from catopt.sheaves.errors import SheafSyntaxError
from catopt.sheaves.sheaf import Sheaf

__all__ = ["sheaf"]

_TOKEN = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<int>[0-9]+)|(?P<op>::|==|[(){}*,;\n])")
_MAX_DIM = 1_000_000


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip(self) -> None:
        t, n = self.text, len(self.text)
        while self.pos < n:
            c = t[self.pos]
            if c == "#":
                while self.pos < n and t[self.pos] != "\n":
                    self.pos += 1
            elif c != "\n" and c.isspace():
                self.pos += 1
            else:
                return

    def peek(self) -> tuple[str, str, int] | None:
        self._skip()
        if self.pos >= len(self.text):
            return None
        m = _TOKEN.match(self.text, self.pos)
        if m is None:
            return ("bad", self.text[self.pos], self.pos)
        kind = m.lastgroup or "bad"
        return (kind, m.group(kind), self.pos)

    def fail(self, expected: str) -> SheafSyntaxError:
        tok = self.peek()
        found = "end of input" if tok is None else repr(tok[1])
        return SheafSyntaxError(self.text, self.pos, f"expected {expected}, found {found}")

    def take(self, kind: str, expected: str, value: str | None = None) -> tuple[str, int]:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            raise self.fail(expected)
        self.pos += len(tok[1])
        return tok[1], tok[2]

    def product(self) -> tuple[str, int, str, int]:
        """``R(v)`` or ``R*v``: (map name, its position, vertex name, its position)."""
        rname, rpos = self.take("name", "a restriction map name")
        tok = self.peek()
        if tok is not None and tok[1] == "(":
            self.pos += 1
            vname, vpos = self.take("name", "a vertex name inside the parentheses")
            self.take("op", "')'", ")")
        elif tok is not None and tok[1] == "*":
            self.pos += 1
            vname, vpos = self.take("name", "a vertex name after '*'")
        else:
            raise self.fail(f"'(' or '*' after the map {rname!r}")
        return rname, rpos, vname, vpos

    def parse(self) -> tuple[list[tuple[str, int, int, int]], list[tuple[Any, ...]]]:
        decls: list[tuple[str, int, int, int]] = []
        eqs: list[tuple[Any, ...]] = []
        while True:
            tok = self.peek()
            if tok is None:
                return decls, eqs
            if tok[1] in ("\n", ",", ";"):
                self.pos += 1
                continue
            if tok[0] != "name":
                raise self.fail("a declaration 'x::Stalk{d}' or an equation 'A(x) == B(y)'")
            save = self.pos
            name, npos = self.take("name", "a name")
            nxt = self.peek()
            if nxt is not None and nxt[1] == "::":
                self.pos += 2
                self.take("name", "'Stalk' after '::'", "Stalk")
                self.take("op", "'{' after 'Stalk'", "{")
                digits, dpos = self.take("int", "a stalk dimension (a positive integer)")
                self.take("op", "'}' after the dimension", "}")
                dim = int(digits) if len(digits) <= 7 else _MAX_DIM + 1
                decls.append((name, npos, dim, dpos))
            else:
                self.pos = save
                left = self.product()
                self.take("op", "'==' between the two sides of an edge", "==")
                right = self.product()
                eqs.append((left, right))
            tok = self.peek()
            if tok is not None and tok[1] not in ("\n", ",", ";"):
                raise self.fail("a newline, ',' or ';' after the statement")


def sheaf(text: str, maps: Mapping[str, Any] | None = None) -> Sheaf:
    """Parse sheaf text into a :class:`~catopt.sheaves.Sheaf`, with restriction maps by name.

    >>> import numpy as np
    >>> s = sheaf("x::Stalk{2}, y::Stalk{2}\\nP(x) == P(y)", {"P": np.array([[1.0, 0.0]])})
    >>> s.coboundary().toarray()
    array([[ 1.,  0., -1.,  0.]])

    Raises :class:`~catopt.sheaves.SheafSyntaxError` (line, column and caret) on bad syntax,
    an unknown or redeclared vertex, an unknown map, a map that does not fit its vertex, and
    two sides of an edge of different dimensions (naming both).
    """
    if not isinstance(text, str):
        raise SheafSyntaxError(str(text)[:200], 0, f"sheaf text must be a string, got "
                                                   f"{type(text).__name__}")
    check_limit("max_text", len(text), "the sheaf text")
    if maps is None:
        maps = {}
    if not isinstance(maps, Mapping):
        raise SheafSyntaxError(text, 0, f"maps must be a mapping from names to matrices, got "
                                        f"{type(maps).__name__}")
    decls, eqs = _Parser(text).parse()
    dims: dict[str, int] = {}
    for name, npos, dim, dpos in decls:
        if name in dims:
            raise SheafSyntaxError(text, npos, f"vertex {name!r} is declared twice")
        if not 1 <= dim <= _MAX_DIM:
            raise SheafSyntaxError(text, dpos, f"the stalk dimension of {name!r} must be "
                                               f"between 1 and {_MAX_DIM}, got {dim}")
        dims[name] = dim
    check_limit("max_boxes", len(eqs), "the sheaf text")
    edges = []
    for (ra, rapos, va, vapos), (rb, rbpos, vb, vbpos) in eqs:
        sides = []
        for r, rpos, v, vpos in ((ra, rapos, va, vapos), (rb, rbpos, vb, vbpos)):
            if v not in dims:
                raise SheafSyntaxError(text, vpos, f"unknown vertex {v!r}; declare it as "
                                                   f"{v}::Stalk{{d}}")
            if r not in maps:
                raise SheafSyntaxError(text, rpos, f"unknown restriction map {r!r}; maps "
                                                   f"given: {sorted(maps)[:10]}")
            try:
                M = np.array(maps[r], dtype=float)
            except (TypeError, ValueError, OverflowError):
                raise SheafSyntaxError(text, rpos, f"map {r!r} is not a matrix of numbers") \
                    from None
            if M.ndim == 1:
                M = M.reshape(1, -1)
            if M.ndim != 2 or not np.isfinite(M).all():
                raise SheafSyntaxError(text, rpos, f"map {r!r} must be a finite 2-d matrix, "
                                                   f"got shape {M.shape}")
            if M.shape[1] != dims[v]:
                raise SheafSyntaxError(text, rpos, f"map {r!r} is {M.shape[0]}x{M.shape[1]} "
                                                   f"but {v}::Stalk{{{dims[v]}}} has dimension "
                                                   f"{dims[v]}")
            sides.append(M)
        if va == vb:
            raise SheafSyntaxError(text, vbpos, f"an edge joins two different vertices; both "
                                                f"sides name {va!r}")
        if sides[0].shape[0] != sides[1].shape[0]:
            raise SheafSyntaxError(
                text, rbpos, f"dimension mismatch: {ra}({va}) is in R^{sides[0].shape[0]} but "
                             f"{rb}({vb}) is in R^{sides[1].shape[0]}")
        edges.append((va, vb, sides[0], sides[1]))
    return Sheaf(dims, edges)
