"""Plots with matplotlib (the Agg backend when there is no display).

- :func:`plot_result`: the objective gap ``f(x_t) - f(x_final)`` and the gradient norm
  against the iteration, on log scales;
- :func:`plot_trajectory`: the objective (when known) and traces of the variables.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from catopt.errors import CatoptError
from catopt.fileio import atomic_path

__all__ = ["plot_result", "plot_trajectory", "check_format", "FORMATS"]

#: file extensions the plots are written in
FORMATS = ("png", "svg", "pdf")


def _pyplot() -> Any:
    import matplotlib

    if not os.environ.get("DISPLAY") and matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_format(path: str | Path) -> str:
    """The plot format of ``path`` from its extension, or a CatoptError naming the choices."""
    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise CatoptError(f"cannot tell the plot format of {str(path)!r}: use one of "
                          f"{', '.join('.' + f for f in FORMATS)}")
    return fmt


def _save(fig: Any, path: str | Path | None) -> None:
    if path is not None:
        fmt = check_format(path)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, bbox_inches="tight", dpi=120)


def _gap(values: np.ndarray) -> np.ndarray:
    """``f_t - min_t f_t``, floored at the rounding level of the minimum,
    ``4 eps max(|min f|, eps max |f|)``, for a log scale (below it the differences are
    roundoff, and an exact zero would squash the axis down to 1e-308)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return values
    eps = np.finfo(float).eps
    low = float(finite.min())
    floor = 4 * eps * max(abs(low), eps * float(np.abs(finite).max()), np.finfo(float).tiny)
    return np.maximum(values - low, floor)


def plot_result(result: Any, path: str | Path | None = None, *, title: str | None = None) -> Any:
    """Objective gap and gradient norm of a :class:`~catopt.SolveResult` against iteration."""
    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    it = np.arange(len(result.history))
    a1.semilogy(it, _gap(np.asarray(result.history)), color="C0")
    a1.set_xlabel("iteration")
    a1.set_ylabel("f(x_t) - min_t f(x_t)")
    a1.set_title("objective gap")
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
    _save(fig, path)
    return fig


def plot_trajectory(traj: Any, path: str | Path | None = None, *,
                    labels: Sequence[str] | None = None, max_traces: int = 12,
                    title: str | None = None) -> Any:
    """The objective (when known) and traces of variables of a :class:`~catopt.Trajectory`.

    ``labels`` picks the coordinates to trace (default: the first ``max_traces``, which for a
    composite are its junction variables).
    """
    plt = _pyplot()
    has_obj = traj.objective is not None
    fig, axes = plt.subplots(1, 2 if has_obj else 1, figsize=(9 if has_obj else 5, 3.4))
    axes = np.atleast_1d(axes)
    if has_obj:
        axes[0].semilogy(np.arange(len(traj.objective)), _gap(np.asarray(traj.objective)))
        axes[0].set_xlabel("iteration")
        axes[0].set_ylabel("f - min f")
        axes[0].set_title("objective gap")
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
    _save(fig, path)
    return fig
