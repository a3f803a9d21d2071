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
from catopt.problems.blocks import ObjectiveLeaf
from catopt.problems.open_problem import OpenProblem
from catopt.validate import integer

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
    ``backend="jax"`` is refused: its jitted gradient would keep the first batch it traced.
    """
    if backend == "jax" or getattr(backend, "name", None) == "jax":
        # the JAX backend jits the objective: the batch read from the closure at trace time
        # would be baked in, and every "fresh" minibatch would silently be the first one
        raise CatoptError("minibatch_problem: backend='jax' is not supported (jit would fix "
                          "the first minibatch); use the default autograd backend")
    sizes = {len(v) for v in data.values()}
    if len(sizes) != 1:
        raise CatoptError(f"minibatch data arrays must have one number of rows, got {sizes}")
    (n_rows,) = sizes
    batch_size = integer(batch_size, "batch_size", minimum=1, maximum=n_rows)
    full = {k: np.asarray(v) for k, v in data.items()}
    state: dict[str, Any] = {"batch": full}

    def obj(*args: Any) -> Any:
        return objective(*args, **state["batch"])

    p = OpenProblem(obj, space, ports, name=name, backend=backend)
    inner = p.leaves[0]

    def sampled_vg(x: np.ndarray) -> tuple[Any, Any]:
        idx = rng.choice(n_rows, size=batch_size, replace=False)
        state["batch"] = {k: v[idx] for k, v in full.items()}
        try:
            return inner.value_and_grad(x)
        finally:
            state["batch"] = full

    leaf = ObjectiveLeaf(inner.size, inner.value, sampled_vg, what=inner.what,
                         backend=inner.backend)
    return p.with_parts(leaves=(leaf,))
