"""Hooks that the interfaces layer fills: how a run shows its progress.

Engines know nothing of terminals: they ask :func:`progress_bar` for a bar, which is the one
registered with :func:`set_progress_factory` (the interfaces layer registers a tqdm bar when
it is imported, which ``import catopt`` does) or a silent one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Protocol

__all__ = ["ProgressBar", "progress_bar", "progress_enabled", "set_progress_factory"]


class ProgressBar(Protocol):
    """What a run reports to: ``update(t, value, grad_norm, since=None)`` and ``close(t)``."""

    def update(self, t: int, value: float | None, grad_norm: float | None,
               since: int | None = None) -> None: ...

    def close(self, t: int | None = None) -> None: ...


class _Silent:
    def update(self, t: int, value: float | None, grad_norm: float | None,
               since: int | None = None) -> None:
        pass

    def close(self, t: int | None = None) -> None:
        pass


_factory: Callable[..., ProgressBar] | None = None


def set_progress_factory(factory: Callable[..., ProgressBar] | None) -> None:
    """Register ``factory(total, enabled, desc, initial) -> ProgressBar`` (None: silent)."""
    global _factory
    _factory = factory


def progress_bar(total: int, enabled: bool | None, desc: str, initial: int = 0) -> ProgressBar:
    """A progress bar over ``total`` iterations (``enabled``: True, False, or None for "on an
    interactive terminal"), from the registered factory, or a silent one."""
    if _factory is None or enabled is False:
        return _Silent()
    return _factory(total, enabled, desc, initial)


def progress_enabled(requested: bool | None) -> bool:
    """``requested`` if given; otherwise on only for an interactive terminal outside CI."""
    if requested is not None:
        return bool(requested)
    if os.environ.get("CI"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
