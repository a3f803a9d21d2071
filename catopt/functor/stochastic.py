"""Stochastic minibatch gradients, each box sampling its own data from its own stream.

Streams are independent and reproducible: :func:`spawn_streams` splits one seed with
``numpy.random.SeedSequence.spawn``, one child per box, so a run is repeatable and no two
boxes share random numbers, whatever order the boxes run in (in-process or on MPI ranks).
A stochastic box's gradient at each call is the gradient of its objective on a fresh
minibatch; its ``objective(x)`` is the full-data objective.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.errors import CatoptError
from catopt.problems.open_problem import OpenProblem

__all__ = ["spawn_streams", "minibatch_problem"]


def spawn_streams(n: int, seed: int | None) -> list[np.random.Generator]:
    """``n`` independent, reproducible random generators from one seed."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def minibatch_problem(
    objective: Callable[..., Any],
    space: int | Mapping[str, Any],
    ports: Sequence[Any],
    data: Mapping[str, np.ndarray],
    batch_size: int,
    rng: np.random.Generator,
    *,
    name: str | None = None,
    backend: Any = None,
) -> OpenProblem:
    """An open problem whose gradient uses a fresh minibatch of ``data`` at every call.

    ``objective(x, **batch)`` (or ``objective(*variables, **batch)`` for a named space)
    receives the rows of each data array (leading axis = samples) in the batch; it should
    average over them, so the minibatch gradient is an unbiased estimate of the full one.
    """
    sizes = {len(v) for v in data.values()}
    if len(sizes) != 1:
        raise CatoptError(f"minibatch data arrays must have one number of rows, got {sizes}")
    (n_rows,) = sizes
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or \
            not 1 <= batch_size <= n_rows:
        raise CatoptError(f"batch_size must be an int from 1 to {n_rows}, got {batch_size!r}")
    full = {k: np.asarray(v) for k, v in data.items()}
    state: dict[str, Any] = {"batch": full}

    def obj(*args: Any) -> Any:
        return objective(*args, **state["batch"])

    p = OpenProblem(obj, space, ports, name=name, backend=backend)
    block = p.blocks[0]
    inner_vg, inner_value = block._vg, block._value

    def sampled_vg(x: np.ndarray) -> tuple[Any, Any]:
        idx = rng.choice(n_rows, size=batch_size, replace=False)
        state["batch"] = {k: v[idx] for k, v in full.items()}
        try:
            return inner_vg(x)
        finally:
            state["batch"] = full

    block._vg = sampled_vg
    block._value = inner_value
    return p
