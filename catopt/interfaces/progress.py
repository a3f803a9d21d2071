"""Progress bars (tqdm): iteration, objective and gradient norm on long runs.

Silent when stderr is not a terminal, under CI (the ``CI`` environment variable), or when
disabled.
"""

from __future__ import annotations

from typing import Any

from catopt.engines.hooks import progress_enabled

__all__ = ["Progress", "progress_enabled", "register"]


class Progress:
    """A progress bar over ``total`` iterations that shows objective and gradient norm."""

    def __init__(self, total: int, enabled: bool | None = None, desc: str = "catopt",
                 initial: int = 0, file: Any = None) -> None:
        self._bar: Any = None
        if progress_enabled(enabled):
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, initial=initial, dynamic_ncols=True,
                             leave=True, file=file)
        self._every = max(1, total // 200)

    def update(self, t: int, value: float | None, grad_norm: float | None,
               since: int | None = None) -> None:
        """Show iteration ``t`` every ``total / 200`` iterations; an engine that advances in
        chunks gives the chunk's first iteration ``since``, so that a chunk which passes such
        an iteration without ending on it still shows."""
        bar = self._bar
        if bar is None:
            return
        if since is None:
            if t % self._every:
                return
        elif t // self._every == since // self._every:
            return
        bar.n = t
        post = {}
        if value is not None:
            post["f"] = f"{value:.4g}"
        if grad_norm is not None:
            post["|g|"] = f"{grad_norm:.3g}"
        bar.set_postfix(post, refresh=False)
        bar.refresh()

    @property
    def position(self) -> int | None:
        """The iteration the bar shows (None when it is disabled)."""
        return None if self._bar is None else int(self._bar.n)

    def close(self, t: int | None = None) -> None:
        if self._bar is not None:
            if t is not None:
                self._bar.n = t
                self._bar.refresh()
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def register() -> None:
    """Make the engines' runs show this bar (``import catopt`` calls this)."""
    from catopt.engines.hooks import set_progress_factory

    set_progress_factory(Progress)
