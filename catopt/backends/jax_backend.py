"""The JAX backend (optional extra ``catopt[jax]``): objectives written with ``jax.numpy``;
gradients jitted, in float64.

catopt computes in float64, and JAX computes in float32 unless its ``jax_enable_x64`` flag is
on. That flag is process-wide: :func:`enable_float64` turns it on when catopt's JAX path is
first used (this backend, a ``BoxFamily(..., backend="jax")``, ``solve(engine="jax")``), and
other JAX code running in the same process then sees float64 defaults too. This is the one
place catopt changes a setting of another library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from catopt.backends.base import ValueAndGrad

__all__ = ["JaxBackend", "enable_float64", "batched_value_and_grad", "jax"]


def enable_float64() -> None:
    """Turn on JAX's process-wide ``jax_enable_x64`` (see the module docstring)."""
    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)


enable_float64()


class JaxBackend:
    name = "jax"

    def value_and_grad(self, fun: Callable[[Any], Any]) -> ValueAndGrad:
        vg_jit = jax.jit(jax.value_and_grad(fun))

        def vg(x: np.ndarray) -> tuple[float, np.ndarray]:
            v, g = vg_jit(np.asarray(x, dtype=float))
            return float(v), np.asarray(g)

        return vg

    def reverse_derivative(self, fun: Callable[[Any], Any]) -> Callable[..., np.ndarray]:
        @jax.jit
        def rd(x: Any, dy: Any) -> Any:
            _, vjp = jax.vjp(fun, x)
            return vjp(dy)[0]

        def R(x: np.ndarray, dy: Any) -> np.ndarray:
            return np.asarray(rd(np.asarray(x, dtype=float), np.asarray(dy, dtype=float)))

        return R


def batched_value_and_grad(objective: Callable[..., Any], n: int,
                           data_shapes: dict[str, tuple[tuple[int, ...], Any]],
                           grad: Callable[..., Any] | None = None,
                           what: str = "family") -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(vg, values)`` for boxes sharing a per-box JAX ``objective(x, **data_i) -> scalar``.

    ``vg(X, d) -> (values (k,), grads (k, n))`` is ``jax.vmap`` of ``jax.value_and_grad``
    (or of ``objective`` and the per-box ``grad``), unjitted so that it can be traced into a
    larger jitted step; ``values(X, d) -> (k,)``. ``data_shapes`` maps each data name to one
    box's shape and dtype; the objective is traced once on them to check it returns a scalar.
    """
    from catopt.errors import ObjectiveError

    x_spec = jax.ShapeDtypeStruct((n,), np.float64)
    d_spec = {k: jax.ShapeDtypeStruct(s, dt) for k, (s, dt) in data_shapes.items()}
    try:
        out = jax.eval_shape(lambda x, d: objective(x, **d), x_spec, d_spec)
    except Exception as e:
        raise ObjectiveError(f"{what}: the JAX objective failed on one box's state of shape "
                             f"({n},) and its data: {type(e).__name__}: {e}") from None
    if getattr(out, "shape", None) != ():
        raise ObjectiveError(f"{what}: the JAX objective must return a scalar for one box, "
                             f"got shape {getattr(out, 'shape', type(out).__name__)}")
    if grad is None:
        box_vg = jax.value_and_grad(lambda x, d: objective(x, **d))
    else:
        gout = jax.eval_shape(lambda x, d: grad(x, **d), x_spec, d_spec)
        if getattr(gout, "shape", None) != (n,):
            raise ObjectiveError(f"{what}: the JAX gradient must return shape ({n},) for one "
                                 f"box, got {getattr(gout, 'shape', type(gout).__name__)}")

        def box_vg(x: Any, d: Any) -> tuple[Any, Any]:
            return objective(x, **d), grad(x, **d)

    return jax.vmap(box_vg), jax.vmap(lambda x, d: objective(x, **d))
