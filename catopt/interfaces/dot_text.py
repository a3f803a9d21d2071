"""Text that reaches graphviz from user names: always a plain string, never an HTML-like
label (``<...>`` would let a box or junction name embed markup, even an outside image), and
printable (control characters shown as escapes)."""

from __future__ import annotations

from typing import Any

__all__ = ["plain", "printable"]


def printable(text: str) -> str:
    """``text`` with control characters (terminal escapes such as OSC sequences) written as
    ``\\xNN`` escapes, and nothing else changed."""
    return "".join(c if c.isprintable() or c in "\n\t" else repr(c)[1:-1] for c in str(text))


def plain(text: Any) -> Any:
    """A graphviz label that is shown as the text it is (``graphviz.nohtml``)."""
    import graphviz

    return graphviz.nohtml(printable(str(text)))
