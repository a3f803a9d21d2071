"""Compatibility path: the base of open things lives in :mod:`catopt.program.open` and
``resolve_ports`` in :mod:`catopt.algebra.finset`."""

from catopt.algebra.finset import resolve_ports
from catopt.program.open import Open

__all__ = ["Open", "resolve_ports"]
