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
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from catopt.errors import CatoptError, LimitError

__all__ = ["Limits", "get_limits", "set_limits", "limits", "check_limit"]


@dataclass(frozen=True)
class Limits:
    """The limits in force: checked before anything of that size is allocated.

    - ``max_boxes``, ``max_junctions``, ``max_ports``: the size of a diagram;
    - ``max_variables``: scalar coordinates of one decision space (default 2**28, a 2 GiB
      float64 state);
    - ``max_record``: floats a run records (``simulate``'s states, a JAX chunk's values);
    - ``max_text``: characters of a relation, spec or JSON text (about 100 MB);
    - ``max_workers``: MPI ranks of one run (default 8 per core of this machine).
    """

    max_boxes: int = 10_000_000
    max_junctions: int = 10_000_000
    max_ports: int = 100_000_000
    max_variables: int = 2**28
    max_record: int = 2**28
    max_text: int = 100_000_000
    max_workers: int = field(default_factory=lambda: 8 * (os.cpu_count() or 1))


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
