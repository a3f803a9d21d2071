"""Compatibility path: :class:`~catopt.algebra.finset.Space` lives in :mod:`catopt.algebra`
(a typed finite set is algebra, not syntax). This module re-exports it so that
``from catopt.wiring.space import Space`` keeps working."""

from typing import Any

__all__ = ["Space"]  # noqa: F822 - provided by __getattr__


def __getattr__(name: str) -> Any:
    if name == "Space":
        from catopt.algebra.finset import Space

        return Space
    raise AttributeError(name)
