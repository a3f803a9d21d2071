"""Building many objects at once without the cyclic garbage collector's quadratic cost.

Python's cyclic collector runs a full (oldest-generation) pass whenever enough new container
objects have survived, and each pass walks every live container. Building a composite of
``B`` boxes allocates a few objects per box and frees none of them, so the passes it
triggers walk a heap that grows with ``B``: composing a sheaf's 300,000 edge boxes was
measured at 23 s with the collector on and 10 s with it paused (1.9 s against 1.3 s at
30,000 boxes), the difference growing faster than linearly. The builders (composition,
box families, the gradient functor, the sheaf's diagram) are decorated with
:func:`with_paused_gc` (a plain wrapper: the builders recurse, and a ``contextlib`` manager
per call cost 6 us); they create no reference cycles that need collecting, and the collector
resumes after them.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["with_paused_gc"]

F = TypeVar("F", bound=Callable[..., Any])


def with_paused_gc(fn: F) -> F:
    """``fn`` run with the cyclic garbage collector paused (if it is on), resumed after,
    even when ``fn`` raises; calls nested inside it (recursion) cost one ``isenabled``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper  # type: ignore[return-value]
