"""The relation (conjunctive query) syntax for UWDs.

``(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)`` has outer ports x, y, z, boxes f, g, h and
junctions x, y, z, w, u (in order of first appearance, outer ports first). Names are
identifiers: letters, digits, ``_`` and ``.``, not starting with a digit or ``.``; a
trailing comma is allowed, as in ``(x,) :- f(x)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from catopt.errors import RelationSyntaxError
from catopt.limits import check_limit
from catopt.wiring.uwd import UWD

__all__ = ["relation"]

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<turnstile>:-)|(?P<punct>[(),]))")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip(self) -> None:
        n = len(self.text)
        while self.pos < n and self.text[self.pos].isspace():
            self.pos += 1

    def _peek(self) -> tuple[str, str] | None:
        self._skip()
        if self.pos >= len(self.text):
            return None
        m = _TOKEN.match(self.text, self.pos)
        if m is None:
            return ("bad", self.text[self.pos])
        kind = m.lastgroup or "bad"
        return (kind, m.group(kind))

    def _fail(self, expected: str) -> RelationSyntaxError:
        tok = self._peek()
        return RelationSyntaxError(self.text, self.pos, expected, None if tok is None else tok[1])

    def _expect(self, value: str, expected: str) -> None:
        tok = self._peek()
        if tok is None or tok[1] != value:
            raise self._fail(expected)
        self.pos += len(value)

    def _name(self, expected: str) -> str:
        tok = self._peek()
        if tok is None or tok[0] != "name":
            raise self._fail(expected)
        self.pos += len(tok[1])
        return tok[1]

    def _names_in_parens(self, what: str) -> list[str]:
        self._expect("(", f"'(' to open the {what}")
        out: list[str] = []
        tok = self._peek()
        if tok is not None and tok[1] == ")":
            self.pos += 1
            return out
        while True:
            out.append(self._name(f"a junction name in the {what}"))
            tok = self._peek()
            if tok is not None and tok[1] == ",":
                self.pos += 1
                tok = self._peek()
                if tok is not None and tok[1] == ")":  # a trailing comma, as in (x,)
                    self.pos += 1
                    return out
                continue
            self._expect(")", f"',' or ')' in the {what}")
            return out

    def parse(self) -> tuple[list[str], list[tuple[str, list[str]]]]:
        outer = self._names_in_parens("outer ports")
        self._expect(":-", "':-' after the outer ports")
        boxes: list[tuple[str, list[str]]] = []
        while True:
            name = self._name("a box name")
            boxes.append((name, self._names_in_parens(f"ports of box {name!r}")))
            tok = self._peek()
            if tok is None:
                return outer, boxes
            if tok[1] == ",":
                self.pos += 1
                continue
            raise self._fail("',' between boxes or the end of the relation")


def relation(text: str, shapes: Mapping[str, Any] | None = None) -> UWD:
    """Parse relation text into a :class:`UWD`.

    >>> d = relation("(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)")
    >>> d.junctions
    ('x', 'y', 'z', 'w', 'u')

    ``shapes`` maps junction names to shapes (scalars by default). A syntax error raises
    :class:`~catopt.errors.RelationSyntaxError` with the line, column and what was expected.
    """
    if not isinstance(text, str):
        raise RelationSyntaxError(str(text), 0, "relation text (a string)", type(text).__name__)
    check_limit("max_text", len(text), "the relation text")
    outer, boxes = _Parser(text).parse()
    return UWD(boxes, outer, shapes=shapes)
