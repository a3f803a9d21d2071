"""Coefficient rings of the sums that gluing takes.

Composition sums contributions at shared variables: objectives add, gradients and vector
fields are pushed forward (``phi_*`` sums the copies), discrete updates push increments. Over
the reals that is ordinary addition; over ``Z2`` (Boolean circuits, where ``-1 = 1``) the same
sums are reduced mod 2. The ring is a parameter of an algebra, not a subclass of its objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Ring", "REAL", "Z2"]


def _identity(v: np.ndarray) -> np.ndarray:
    return v


def _mod2(v: np.ndarray) -> np.ndarray:
    return np.mod(v, 2)


@dataclass(frozen=True)
class Ring:
    """A coefficient ring: its ``name`` and ``reduce``, the map from integer-valued (or real)
    sums to the ring's representatives (the identity over the reals, ``mod 2`` over Z2)."""

    name: str
    reduce: Callable[[np.ndarray], np.ndarray] = field(compare=False, repr=False)

    @property
    def exact(self) -> bool:
        """Whether sums need no reduction (the reals)."""
        return self.reduce is _identity

    def __reduce__(self) -> str:  # pickle by name: the rings are module singletons
        return self.name


#: the real numbers (floating point): sums are ordinary sums
REAL = Ring("REAL", _identity)
#: the field with two elements: sums are taken mod 2 (XOR of bits)
Z2 = Ring("Z2", _mod2)
