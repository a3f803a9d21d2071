"""One validation of arguments: every public function checks its numbers here, so that bad
input always gets a :class:`~catopt.errors.CatoptError` naming the argument and saying what
was expected."""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.errors import CatoptError

__all__ = ["integer", "number", "sequence", "mapping", "vector"]


def sequence(value: Any, name: str, *, error: type[CatoptError] = CatoptError,
             expected: str = "a sequence") -> list[Any]:
    """``value`` as a list: any iterable but a string, bytes or a mapping, or ``error``
    naming ``name``."""
    from collections.abc import Mapping

    if isinstance(value, (str, bytes, Mapping)) or value is None:
        raise error(f"{name} must be {expected}, got {value!r}"[:300])
    try:
        return list(value)
    except TypeError:
        raise error(f"{name} must be {expected}, got {value!r}"[:300]) from None


def mapping(value: Any, name: str, *, error: type[CatoptError] = CatoptError,
            expected: str = "a mapping") -> Any:
    """``value`` if it is a mapping (``{key: value}``), or ``error`` naming ``name``."""
    from collections.abc import Mapping

    if not isinstance(value, Mapping):
        raise error(f"{name} must be {expected}, got {value!r}"[:300])
    return value


def vector(value: Any, name: str, *, length: int | None = None, flatten: bool = False,
           error: type[CatoptError] = CatoptError) -> np.ndarray:
    """``value`` as a float vector of finite numbers (of ``length`` entries when given; an
    array of more axes is flattened only with ``flatten``), or ``error`` naming ``name``:
    "must be a vector of numbers", "... of length n", "must be finite"."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise error(f"{name} must be a vector of numbers, got {value!r}"[:300]) from None
    if arr.ndim > 1 and not flatten:
        raise error(f"{name} must be a vector (one axis), got shape {arr.shape}")
    arr = arr.ravel()
    if length is not None and arr.shape != (length,):
        raise error(f"{name} must be a vector of length {length}, got {arr.size} numbers")
    if not np.isfinite(arr).all():
        raise error(f"{name} must be finite, got {value!r}"[:300])
    return arr


def integer(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None,
            error: type[CatoptError] = CatoptError, expected: str | None = None) -> int:
    """``value`` as an int (bools refused) within ``[minimum, maximum]``, or ``error``
    naming ``name`` and what was ``expected`` (default: the range)."""
    want = expected or f"an int{_range(minimum, maximum)}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise error(f"{name} must be {want}, got {value!r}")
    v = int(value)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise error(f"{name} must be {want}, got {value!r}")
    return v


def number(value: Any, name: str, *, positive: bool = False, nonnegative: bool = False,
           below: float | None = None, finite: bool = True,
           error: type[CatoptError] = CatoptError, expected: str | None = None) -> float:
    """``value`` as a real float (bools and complex numbers refused), finite unless
    ``finite=False``, positive or non-negative when asked, and ``< below`` when given, or
    ``error`` naming ``name`` and what was ``expected`` (default: said part by part)."""
    def fail(default: str) -> CatoptError:
        return error(f"{name} must be {expected or default}, got {value!r}")

    if isinstance(value, (bool, complex, np.complexfloating)):
        raise fail("a number")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise fail("a number") from None
    if np.isnan(v) or (finite and not np.isfinite(v)):
        raise fail("a finite number")
    if positive and not v > 0:
        raise fail("> 0")
    if nonnegative and not v >= 0:
        raise fail(">= 0")
    if below is not None and not v < below:
        raise fail(f"< {below:g}")
    return v


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""
