"""Result objects: trajectories of simulations and results of solves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from catopt.wiring.space import Space

__all__ = ["Trajectory", "SolveResult"]


@dataclass
class Trajectory:
    """A simulated run.

    Attributes
    ----------
    x
        The final state (flat).
    states
        The states recorded every ``record_every`` steps, shape ``(k, n)``; the initial
        and the final state are always included.
    iterations
        The iteration of each recorded state.
    objective
        The objective at every iteration (``steps + 1`` values), when the system knows
        its objective; else None.
    space
        The state space (names, shapes, labels).
    """

    x: np.ndarray
    states: np.ndarray
    iterations: np.ndarray
    objective: np.ndarray | None
    space: Space
    times: np.ndarray | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return self.space.labels

    @property
    def x_by_name(self) -> dict[str, np.ndarray]:
        """The final state as named arrays."""
        return self.space.unpack(self.x)

    def trace(self, label: str) -> np.ndarray:
        """The recorded values of the coordinate labelled ``label``."""
        try:
            i = self.space.labels.index(label)
        except ValueError:
            from catopt.errors import CatoptError

            raise CatoptError(
                f"unknown label {label!r}; labels are {list(self.space.labels)[:20]}"
            ) from None
        return self.states[:, i]

    def plot(self, path: Any = None, **kwargs: Any) -> Any:
        """Plot the objective and the variables' traces (needs matplotlib); with ``path``,
        also save the figure."""
        from catopt.interfaces.plot import plot_trajectory

        return plot_trajectory(self, path, **kwargs)

    def __repr__(self) -> str:
        obj = "" if self.objective is None else f", objective={self.objective[-1]:.6g}"
        return f"Trajectory(steps={int(self.iterations[-1])}, n={self.x.size}{obj})"


@dataclass
class SolveResult:
    """The result of :func:`catopt.solve`, in the manner of ``scipy.optimize.OptimizeResult``.

    Attributes
    ----------
    x
        The final iterate (flat); ``x_by_name`` gives it as named arrays.
    objective
        The objective at ``x``.
    history
        The objective at every iterate ``x_0, ..., x_final``.
    grad_norms
        The gradient norm at every iterate.
    iterations
        The number of steps taken.
    converged
        Whether the gradient norm reached ``tol``.
    message
        Why the run stopped.
    """

    x: np.ndarray
    objective: float
    history: np.ndarray
    grad_norms: np.ndarray
    iterations: int
    converged: bool
    message: str
    space: Space
    engine: str = "local"
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.space.labels

    @property
    def x_by_name(self) -> dict[str, np.ndarray]:
        """The final iterate as named arrays."""
        return self.space.unpack(self.x)

    @property
    def grad_norm(self) -> float:
        return float(self.grad_norms[-1])

    @property
    def success(self) -> bool:
        """True when the run converged or ran all its steps without fault."""
        return self.converged or self.message.startswith("ran")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: ``x`` by label, final objective, history, flags."""
        return {
            "x": {k: float(v) for k, v in zip(self.labels, self.x, strict=True)},
            "objective": float(self.objective),
            "history": [float(v) for v in self.history],
            "iterations": int(self.iterations),
            "converged": bool(self.converged),
            "message": self.message,
        }

    def plot(self, path: Any = None, **kwargs: Any) -> Any:
        """Plot objective and gradient norm against iteration (needs matplotlib); with
        ``path``, also save the figure."""
        from catopt.interfaces.plot import plot_result

        return plot_result(self, path, **kwargs)

    def __repr__(self) -> str:
        return (
            f"SolveResult(objective={self.objective:.6g}, iterations={self.iterations}, "
            f"converged={self.converged}, grad_norm={self.grad_norm:.3g}, "
            f"message={self.message!r})"
        )
