"""What the lower layers show, attached from here: Jupyter display of diagrams and open things,
``result.plot()`` and ``trajectory.plot()``, and the progress bar of runs.

The lower layers know nothing of drawings, plots or terminals; :func:`register` (called by
``import catopt``) gives their classes these methods. Drawing and plotting libraries are
imported only when a method is used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["register"]


def _mimebundle(self: Any, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """Jupyter display: the drawing."""
    from catopt.interfaces.draw import mimebundle

    return mimebundle(self)


def _plot_result(self: Any, path: Any = None, **kwargs: Any) -> Any:
    """Plot objective and gradient norm against iteration (needs matplotlib); with ``path``,
    also save the figure."""
    from catopt.interfaces.plot import plot_result

    return plot_result(self, path, **kwargs)


def _plot_trajectory(self: Any, path: Any = None, **kwargs: Any) -> Any:
    """Plot the objective and the variables' traces (needs matplotlib); with ``path``, also
    save the figure."""
    from catopt.interfaces.plot import plot_trajectory

    return plot_trajectory(self, path, **kwargs)


def register() -> None:
    """Attach the display, plot and progress hooks to the lower layers' classes."""
    from catopt.engines.results import SolveResult, Trajectory
    from catopt.interfaces import progress
    from catopt.program.open import Open
    from catopt.sheaves.sheaf import Sheaf
    from catopt.wiring.uwd import UWD

    UWD._repr_mimebundle_ = _mimebundle  # type: ignore[attr-defined]
    Open._repr_mimebundle_ = _mimebundle  # type: ignore[attr-defined]
    Sheaf._repr_mimebundle_ = _mimebundle  # type: ignore[attr-defined]
    SolveResult.plot = _plot_result  # type: ignore[attr-defined]
    Trajectory.plot = _plot_trajectory  # type: ignore[attr-defined]
    progress.register()
