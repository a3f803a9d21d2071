"""The compiled form of open things: :class:`Program` (leaves, gather index, offsets and the
one gather -> leaf -> scatter kernel), the :class:`Open` base that holds one, and the JAX
lowering (:mod:`catopt.program.jax`, imported on demand)."""

from catopt.program.open import Open
from catopt.program.program import Program, in_leaf

__all__ = ["Program", "Open", "in_leaf"]
