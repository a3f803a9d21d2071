"""Compatibility path: the JAX lowering lives in :mod:`catopt.program.jax` and the jitted
composite gradient in :mod:`catopt.engines.jax_engine`. ``jax_step`` is the old name of
:func:`~catopt.engines.jax_engine.jax_value_and_grad` (it returns ``(f, grad f)``, not a
step)."""

from catopt.engines.jax_engine import PerBox, composite_value_and_grad, jax_value_and_grad

#: the old name of :func:`~catopt.engines.jax_engine.jax_value_and_grad`
jax_step = jax_value_and_grad

__all__ = ["jax_step", "jax_value_and_grad", "composite_value_and_grad", "PerBox"]
