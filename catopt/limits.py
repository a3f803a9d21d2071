"""Configurable resource limits on inputs: a huge diagram, shape or text fails fast with a
:class:`~catopt.errors.LimitError` instead of exhausting memory.

>>> import catopt as co
>>> with co.limits(max_boxes=10):
...     co.relation("() :- " + ", ".join(f"b{i}()" for i in range(11)))
Traceback (most recent call last):
    ...
catopt.errors.LimitError: the diagram has 11 boxes, over the limit of 10 (max_boxes); raise it ...
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from catopt.errors import CatoptError, LimitError

__all__ = ["Limits", "get_limits", "set_limits", "limits", "check_limit"]


@dataclass(frozen=True)
class Limits:
    """The limits in force. Defaults are far above what fits in memory on one machine for
    the counts, and keep texts under about 100 MB."""

    max_boxes: int = 10_000_000
    max_junctions: int = 10_000_000
    max_ports: int = 100_000_000
    max_variables: int = 2_000_000_000
    max_text: int = 100_000_000


_current = Limits()


def get_limits() -> Limits:
    """The limits in force."""
    return _current


def set_limits(**changes: int) -> Limits:
    """Change some limits for the rest of the process; returns the previous limits."""
    global _current
    previous = _current
    fields = {f.name for f in dataclasses.fields(Limits)}
    for key, value in changes.items():
        if key not in fields:
            raise CatoptError(f"unknown limit {key!r}; limits are {sorted(fields)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CatoptError(f"limit {key} must be a non-negative int, got {value!r}")
    _current = dataclasses.replace(_current, **changes)
    return previous


@contextlib.contextmanager
def limits(**changes: int) -> Iterator[Limits]:
    """Change some limits inside a ``with`` block."""
    global _current
    previous = set_limits(**changes)
    try:
        yield _current
    finally:
        _current = previous


def check_limit(name: str, value: int, what: str) -> None:
    """Raise a LimitError when ``value`` exceeds the limit ``name``."""
    limit = getattr(_current, name)
    if value > limit:
        raise LimitError(
            f"{what} has {value:,} {name.removeprefix('max_')}, over the limit of {limit:,} "
            f"({name}); raise it with catopt.set_limits({name}=...) if this is intended"
        )
