"""The JAX path: a whole composite gradient step, jitted.

For a composite made of box families (:class:`~catopt.BoxFamily`), give the per-box
objective written with ``jax.numpy``: ``objective(x, **data_i)`` for one box. The step
gathers every box's state (``phi^* y``), evaluates all boxes of a family with ``jax.vmap``
of ``jax.value_and_grad``, and sums contributions into the junctions with
``jax.ops.segment_sum`` (``phi_*``), all inside one ``jax.jit``. JAX is an optional extra
(``pip install 'catopt[jax]'``); computation is in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from catopt.errors import BackendError, CompositionError
from catopt.problems.family import _FusedBlock, _MemberBlock
from catopt.problems.open_problem import OpenProblem

__all__ = ["jax_step"]


def jax_step(problem: OpenProblem,
             objectives: Callable[..., Any] | Mapping[str, Callable[..., Any]],
             grads: Callable[..., Any] | Mapping[str, Callable[..., Any]] | None = None,
             ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """A jitted ``y -> (f(y), grad f(y))`` for a composite of box families.

    ``objectives`` is the per-box JAX objective, or a mapping from family name to one;
    ``grads``, likewise, optional per-box gradients written by hand (used instead of
    ``jax.value_and_grad``, e.g. to exploit a symmetric matrix).
    """
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        raise BackendError("the JAX path needs jax: pip install 'catopt[jax]'") from None
    jax.config.update("jax_enable_x64", True)

    runs = []  # (objective, data rows as jnp arrays, k boxes, n per box, offset)
    offsets = problem.block_offsets
    for b, blk in enumerate(problem.blocks):
        if isinstance(blk, _FusedBlock):
            fam, rows = blk.family, np.asarray(blk.members)
        elif isinstance(blk, _MemberBlock):
            fam, rows = blk.family, np.asarray([blk.member])
        else:
            raise CompositionError(
                f"the JAX path runs composites of box families; box "
                f"{problem.block_names[b]!r} is not one (use BoxFamily and fuse_families)")
        fn = objectives if callable(objectives) else objectives.get(fam.name)
        if fn is None:
            raise CompositionError(f"no JAX objective given for family {fam.name!r}")
        gfn = grads if grads is None or callable(grads) else grads.get(fam.name)
        if grads is not None and gfn is None:
            raise CompositionError(f"no JAX gradient given for family {fam.name!r}")
        if gfn is None:
            vg = jax.value_and_grad(fn)
        else:
            def vg(x: Any, fn: Any = fn, gfn: Any = gfn, **d: Any) -> tuple[Any, Any]:
                return fn(x, **d), gfn(x, **d)
        data = {k: jnp.asarray(v[rows]) for k, v in fam.data.items()}
        runs.append((vg, data, len(rows), fam.space.n, int(offsets[b])))

    index = jnp.asarray(problem.gather_index)
    n_total = problem.n

    @jax.jit
    def step(y: Any) -> tuple[Any, Any]:
        xs = y[index]
        value = 0.0
        grads = []
        for vg, data, k, n, off in runs:
            X = jax.lax.dynamic_slice(xs, (off,), (k * n,)).reshape(k, n)
            v, G = jax.vmap(lambda x, d, vg=vg: vg(x, **d))(X, data)
            value = value + jnp.sum(v)
            grads.append(G.reshape(-1))
        g = jnp.concatenate(grads) if grads else jnp.zeros(0)
        return value, jax.ops.segment_sum(g, index, num_segments=n_total)

    def run(y: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = step(np.asarray(y, dtype=float))
        return float(v), np.asarray(g)

    return run
