"""Plots with matplotlib, in whatever backend the session already has (never switched: a
Jupyter session keeps its inline plots; with no display matplotlib itself falls back to Agg).

- :func:`plot_result`: the objective ``f(x_t)`` (or, given a known optimal value ``f_star``,
  the gap ``f(x_t) - f_star``) and the gradient norm against the iteration. The gap is never
  taken to the run's own minimum, which would show a plunge at the last point of any run
  still descending;
- :func:`plot_trajectory`: the objective (when known) and traces of the variables.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from catopt.errors import CatoptError
from catopt.fileio import atomic_path

__all__ = ["plot_result", "plot_trajectory", "check_format", "FORMATS"]

#: file extensions the plots are written in
FORMATS = ("png", "svg", "pdf")


def pyplot() -> Any:
    """pyplot in the session's backend: never ``matplotlib.use`` here (that would switch a
    running Jupyter session away from inline plots)."""
    import matplotlib.pyplot as plt

    return plt


def check_format(path: str | Path) -> str:
    """The plot format of ``path`` from its extension, or a CatoptError naming the choices."""
    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise CatoptError(f"cannot tell the plot format of {str(path)!r}: use one of "
                          f"{', '.join('.' + f for f in FORMATS)}")
    return fmt


def save_figure(fig: Any, path: str | Path | None) -> None:
    if path is not None:
        fmt = check_format(path)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, bbox_inches="tight", dpi=120)


def _gap(values: np.ndarray, f_star: float) -> np.ndarray:
    """``f_t - f_star``, floored at the rounding level of ``f_star``,
    ``4 eps max(|f_star|, eps max |f|)``, for a log scale (below it the differences are
    roundoff, and an exact zero would squash the axis down to 1e-308)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return values
    eps = np.finfo(float).eps
    floor = 4 * eps * max(abs(f_star), eps * float(np.abs(finite).max()), np.finfo(float).tiny)
    return np.maximum(values - f_star, floor)


def _objective_axis(ax: Any, values: Any, f_star: float | None) -> None:
    """Draw the objective on ``ax``: ``f(x_t)`` itself (log scale when it stays positive), or
    the gap ``f(x_t) - f_star`` on a log scale."""
    values = np.asarray(values, dtype=float)
    it = np.arange(len(values))
    if f_star is not None:
        try:
            f_star = float(f_star)
        except (TypeError, ValueError):
            raise CatoptError(f"f_star must be a number, got {f_star!r}") from None
        if not np.isfinite(f_star):
            raise CatoptError(f"f_star must be finite, got {f_star!r}")
        finite = values[np.isfinite(values)]
        # below f_star by more than roundoff of the two evaluations (f_star is often computed
        # another way, e.g. by a linear solve), the run refutes it
        slack = 1e-10 * max(abs(f_star), float(np.abs(finite).max(initial=0.0)), 1e-300)
        if (finite < f_star - slack).any():
            raise CatoptError(f"f_star={f_star!r} is above the objective the run reached "
                              f"({np.nanmin(values)!r}), so it is not the optimal value")
        ax.semilogy(it, _gap(values, f_star), color="C0")
        ax.set_ylabel("f(x_t) - f*")
        ax.set_title(f"objective gap to f* = {f_star:.6g}")
    else:
        finite = values[np.isfinite(values)]
        ax.plot(it, values, color="C0")
        if finite.size and finite.min() > 0:
            ax.set_yscale("log")
        elif finite.size and np.ptp(finite) > 0:
            # signed values: logarithmic far from zero, linear within |f| <= the final value's
            # size, so both the descent from large values and where it ends are readable
            big = float(np.abs(finite).max())
            ax.set_yscale("symlog", linthresh=max(abs(float(finite[-1])), 1e-12 * big, 1e-300))
        ax.set_ylabel("f(x_t)")
        ax.set_title("objective")
    ax.set_xlabel("iteration")


def plot_result(result: Any, path: str | Path | None = None, *, title: str | None = None,
                f_star: float | None = None) -> Any:
    """Objective and gradient norm of a :class:`~catopt.SolveResult` against iteration.

    Parameters
    ----------
    result
        The result of `catopt.solve`.
    path
        Where to save the figure (``.png``, ``.svg`` or ``.pdf``); None saves nothing.
    title
        A title over both panels.
    f_star
        The optimal value when it is known: the left panel then shows the gap
        ``f(x_t) - f_star`` on a log scale. Without it, it shows ``f(x_t)`` itself.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, in the session's own matplotlib backend.
    """
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    it = np.arange(len(result.history))
    _objective_axis(a1, result.history, f_star)
    gn = np.asarray(result.grad_norms, dtype=float)
    a2.semilogy(it, np.where(gn > 0, gn, np.nan), color="C1")  # an exact zero is not drawn
    a2.set_xlabel("iteration")
    a2.set_ylabel("|grad f(x_t)|")
    a2.set_title("gradient norm")
    for a in (a1, a2):
        a.grid(True, which="both", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
    return fig


def plot_trajectory(traj: Any, path: str | Path | None = None, *,
                    labels: Sequence[str] | None = None, max_traces: int = 12,
                    title: str | None = None, f_star: float | None = None) -> Any:
    """The objective (when known) and traces of variables of a :class:`~catopt.Trajectory`.

    ``labels`` picks the coordinates to trace (default: the first ``max_traces``, which for a
    composite are its junction variables); ``f_star``, a known optimal value, plots the
    objective as the gap ``f - f_star`` (else the objective itself is plotted).
    """
    plt = pyplot()
    has_obj = traj.objective is not None
    fig, axes = plt.subplots(1, 2 if has_obj else 1, figsize=(9 if has_obj else 5, 3.4))
    axes = np.atleast_1d(axes)
    if has_obj:
        _objective_axis(axes[0], traj.objective, f_star)
        axes[0].grid(True, which="both", alpha=0.3)
    ax = axes[-1]
    chosen = list(labels) if labels is not None else list(traj.labels[:max_traces])
    x_axis = traj.times if traj.times is not None else traj.iterations
    for lab in chosen:
        ax.plot(x_axis, traj.trace(lab), label=lab)
    ax.set_xlabel("time" if traj.times is not None else "iteration")
    ax.set_title("variables")
    if chosen:
        ax.legend(fontsize=7, ncol=2)
    ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
    return fig
