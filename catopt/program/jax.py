"""The JAX lowering of a :class:`~catopt.Program`: its gather -> leaf -> scatter kernel as one
traceable JAX function.

``lower(program)`` gives ``vg(y, data) -> (f(y), grad f(y))``: the gather ``phi^* y`` is
``y[index]``, every leaf is one ``jax.vmap``-ed call over its run of boxes (a leaf that can be
lowered has ``lower_jax(objectives, grads) -> (vmapped vg, k, data)``: the leaves of
:class:`~catopt.BoxFamily` do), and the scatter ``phi_*`` is ``jax.ops.segment_sum``. The
index and the boxes' data are passed as arguments (moved to the device once), not baked into
the compiled program. JAX is an optional extra (``pip install 'catopt[jax]'``).

catopt computes in float64: using the JAX path turns on JAX's ``jax_enable_x64`` flag for the
whole process (:func:`catopt.backends.jax_backend.enable_float64`), which other JAX code in
the same process then sees too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from catopt.errors import BackendError, CompositionError
from catopt.program.program import Program

__all__ = ["lower"]


def lower(program: Program, objectives: Any = None,
          grads: Any = None) -> tuple[Callable[..., Any], dict[str, Any]]:
    """``(vg, data)``: a traceable ``vg(y, data) -> (f(y), grad f(y))`` of ``program`` and the
    device arrays ``data`` it takes (``"index"``, and each run of boxes' rows under ``"boxes"``).

    ``objectives`` (and ``grads``) are per-box JAX functions, or mappings from family name to
    one, passed to each leaf's ``lower_jax``; None takes each leaf's own.
    """
    try:
        from catopt.backends.jax_backend import enable_float64, jax
    except ImportError:
        raise BackendError("the JAX path needs jax: pip install 'catopt[jax]'") from None
    enable_float64()
    import jax.numpy as jnp

    runs = []  # (vmapped vg, k boxes, n per box, offset)
    datas = []
    for k, leaf in enumerate(program.leaves):
        lowering = getattr(leaf, "lower_jax", None)
        if lowering is None:
            raise CompositionError(
                f"the JAX path runs composites of box families; box "
                f"{program.leaf_names[k]!r} is not one (use BoxFamily and fuse_families)")
        fvg, count, data = lowering(objectives, grads)
        runs.append((fvg, count, leaf.size // max(count, 1), int(program.offsets[k])))
        datas.append(data)
    n_total = program.n

    def vg(y: Any, data: Any) -> tuple[Any, Any]:
        index = data["index"]
        xs = y[index]
        value = jnp.zeros((), y.dtype)
        parts = []
        for (fvg, k, n, off), d in zip(runs, data["boxes"], strict=True):
            v, G = fvg(xs[off:off + k * n].reshape(k, n), d)
            value = value + jnp.sum(v)
            parts.append(G.reshape(-1))
        g = jnp.concatenate(parts) if parts else jnp.zeros(0, y.dtype)
        return value, jax.ops.segment_sum(g, index, num_segments=n_total)

    return vg, {"index": jnp.asarray(program.gather_index), "boxes": datas}
