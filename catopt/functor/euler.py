"""The Euler update, written once."""

from __future__ import annotations

from typing import Any

__all__ = ["euler_step"]


def euler_step(x: Any, eta: Any, v: Any) -> Any:
    """The Euler update ``x + eta * v``: the one place catopt writes a step.

    Gradient descent is this with ``v = -grad f`` (``x - eta * grad f``), on every engine: the
    leaves of :func:`~catopt.functor.gradient.euler`, the in-process and MPI evaluators, the
    JAX chunk runner (``x``, ``v`` may be JAX arrays), and the trial points of Armijo's line
    search all call it.
    """
    return x + eta * v
