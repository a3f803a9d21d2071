"""The JAX path: a whole composite gradient step, jitted.

For a composite made of box families (:class:`~catopt.BoxFamily`), the step gathers every
box's state (``phi^* y``), evaluates all boxes of a family with ``jax.vmap`` of
``jax.value_and_grad``, and sums contributions into the junctions with
``jax.ops.segment_sum`` (``phi_*``), all inside one ``jax.jit``. Families made with
``backend="jax"`` bring their own per-box JAX objective; for autograd families, give the
per-box objective written with ``jax.numpy``: ``objective(x, **data_i)`` for one box. JAX is
an optional extra (``pip install 'catopt[jax]'``); computation is in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from catopt.errors import BackendError, CompositionError
from catopt.problems.family import BoxFamily, _FusedBlock, _MemberBlock, fuse_families
from catopt.problems.open_problem import OpenProblem

__all__ = ["jax_step", "composite_value_and_grad"]

PerBox = Callable[..., Any] | Mapping[str, Callable[..., Any]] | None


def _import_jax() -> Any:
    try:
        import jax
    except ImportError:
        raise BackendError("the JAX path needs jax: pip install 'catopt[jax]'") from None
    jax.config.update("jax_enable_x64", True)
    return jax


def _pick(given: PerBox, fam: BoxFamily, what: str) -> Callable[..., Any] | None:
    if given is None or callable(given):
        return given
    if fam.name not in given:
        raise CompositionError(f"no JAX {what} given for family {fam.name!r} (given for: "
                               f"{sorted(given)})")
    return given[fam.name]


def _family_vg(fam: BoxFamily, objectives: PerBox, grads: PerBox) -> Callable[..., Any]:
    """The family's vmapped per-box ``(values, grads)`` as a traceable JAX function."""
    if objectives is None:
        if fam.backend != "jax":
            raise CompositionError(
                f"family {fam.name!r} has an autograd objective; make it with "
                f"BoxFamily(..., backend='jax') or give its per-box JAX objective "
                f"(objectives={{{fam.name!r}: f}})")
        if grads is not None:
            raise CompositionError("grads= goes with objectives=; a JAX family takes its "
                                   "gradient as BoxFamily(..., grad=...)")
        return fam.jax_vg
    from catopt.backends.jax_backend import batched_value_and_grad

    fn = _pick(objectives, fam, "objective")
    gfn = _pick(grads, fam, "gradient")
    assert fn is not None
    shapes = {k: (v.shape[1:], v.dtype) for k, v in fam.data.items()}
    return batched_value_and_grad(fn, fam.space.n, shapes, gfn,
                                  what=f"family {fam.name!r}")[0]


def composite_value_and_grad(problem: OpenProblem, objectives: PerBox = None,
                             grads: PerBox = None) -> tuple[Callable[..., Any], Any]:
    """``(vg, data)``: a traceable JAX function ``vg(y, data) -> (f(y), grad f(y))`` of the
    composite, and the device arrays ``data`` it takes (the gather index and the families'
    rows, moved to the device once and passed as arguments, not baked into the program).

    ``objectives`` (and ``grads``) are per-box JAX functions, or mappings from family name to
    one; None takes each family's own (``BoxFamily(..., backend="jax")``). Consecutive boxes
    of one family are fused first (:func:`~catopt.fuse_families`), so each run of them is one
    vmapped call whether or not the problem was fused.
    """
    jax = _import_jax()
    import jax.numpy as jnp

    problem = fuse_families(problem)  # one vmapped call per run of a family's boxes
    runs = []  # (vmapped vg, k boxes, n per box, offset)
    datas = []
    offsets = problem._offsets_list
    for b, blk in enumerate(problem.blocks):
        if isinstance(blk, _FusedBlock):
            fam, rows = blk.family, np.asarray(blk.members)
        elif isinstance(blk, _MemberBlock):
            fam, rows = blk.family, np.asarray([blk.member])
        else:
            raise CompositionError(
                f"the JAX path runs composites of box families; box "
                f"{problem.block_names[b]!r} is not one (use BoxFamily and fuse_families)")
        runs.append((_family_vg(fam, objectives, grads), len(rows), fam.space.n, offsets[b]))
        datas.append({k: jnp.asarray(v[rows]) for k, v in fam.data.items()})

    n_total = problem.n

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

    return vg, {"index": jnp.asarray(problem.gather_index), "boxes": datas}


def jax_step(problem: OpenProblem, objectives: PerBox = None, grads: PerBox = None,
             ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """A jitted ``y -> (f(y), grad f(y))`` for a composite of box families.

    ``objectives`` is the per-box JAX objective, or a mapping from family name to one (None:
    the families' own, made with ``backend="jax"``); ``grads``, likewise, optional per-box
    gradients written by hand (used instead of ``jax.value_and_grad``, e.g. to exploit a
    symmetric matrix). For many steps, ``solve(problem, engine="jax")`` runs whole chunks of
    steps in one jitted call.
    """
    jax = _import_jax()
    vg, data = composite_value_and_grad(problem, objectives, grads)
    step = jax.jit(vg)

    def run(y: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = step(np.asarray(problem._check(y, "y"), dtype=float), data)
        return float(v), np.asarray(g)

    return run
