"""Compatibility path: the pushout (:class:`~catopt.algebra.gluing.Gluing`,
:func:`~catopt.algebra.gluing.glue`) lives in :mod:`catopt.algebra`. This module re-exports
them so that the old import path keeps working."""

from typing import Any

__all__ = ["Gluing", "glue"]  # noqa: F822 - provided by __getattr__


def __getattr__(name: str) -> Any:
    if name in __all__:
        from catopt.algebra import gluing

        return getattr(gluing, name)
    raise AttributeError(name)
