"""The JAX backend (optional extra ``catopt[jax]``): objectives written with ``jax.numpy``;
gradients jitted, in float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from catopt.backends.base import ValueAndGrad

jax.config.update("jax_enable_x64", True)

__all__ = ["JaxBackend"]


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
