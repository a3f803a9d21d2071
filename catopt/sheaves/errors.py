"""The errors of the sheaf subpackage (both are :class:`~catopt.errors.CatoptError`)."""

from __future__ import annotations

from catopt.errors import CatoptError

__all__ = ["SheafError", "SheafSyntaxError"]


class SheafError(CatoptError):
    """A malformed cellular sheaf: unknown vertex, a restriction map of the wrong shape,
    a cochain of the wrong length, a target ``b`` outside the image of the coboundary."""


class SheafSyntaxError(SheafError):
    """Sheaf text that does not parse or does not type-check; carries line, column and caret.

    Attributes: ``text``, ``position`` (offset in ``text``), ``line``, ``column``, ``reason``.
    """

    def __init__(self, text: str, position: int, reason: str) -> None:
        position = max(0, min(position, len(text)))
        self.text = text
        self.position = position
        self.reason = reason
        self.line = text.count("\n", 0, position) + 1
        self.column = position - (text.rfind("\n", 0, position) + 1) + 1
        src = text.split("\n")[self.line - 1]
        pointer = " " * (self.column - 1) + "^"
        super().__init__(f"sheaf syntax error at line {self.line}, column {self.column}: "
                         f"{reason}\n  {src}\n  {pointer}")
