"""Result objects: trajectories of simulations and results of solves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from catopt.algebra.finset import Space
from catopt.errors import CatoptError

__all__ = ["Trajectory", "SolveResult", "CONVERGED", "MAX_STEPS", "CALLBACK", "STUCK", "STATUS"]

#: ``SolveResult.status``: the gradient norm reached ``tol``
CONVERGED = 0
#: the run took all its steps without reaching ``tol``
MAX_STEPS = 1
#: the callback stopped the run
CALLBACK = 2
#: a fixed point that is not a solution (a Z2 circuit with wrong outputs and nothing to flip)
STUCK = 3
#: what each status means
STATUS = {CONVERGED: "converged", MAX_STEPS: "ran all steps", CALLBACK: "stopped by callback",
          STUCK: "stuck at a fixed point that is not a solution"}


class _OnSpace:
    """A final state ``x`` on a ``space``: its coordinate labels and named arrays."""

    x: np.ndarray
    space: Space

    @property
    def labels(self) -> tuple[str, ...]:
        """The coordinates' labels (``space.labels``)."""
        return self.space.labels

    @property
    def x_by_name(self) -> dict[str, np.ndarray]:
        """The final state as named arrays."""
        return self.space.unpack(self.x)


@dataclass
class Trajectory(_OnSpace):
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

    def trace(self, label: str) -> np.ndarray:
        """The recorded values of the coordinate labelled ``label``."""
        try:
            i = self.space.labels.index(label)
        except ValueError:
            raise CatoptError(
                f"unknown label {label!r}; labels are {list(self.space.labels)[:20]}"
            ) from None
        return self.states[:, i]

    def __repr__(self) -> str:
        obj = "" if self.objective is None else f", objective={self.objective[-1]:.6g}"
        return f"Trajectory(steps={int(self.iterations[-1])}, n={self.x.size}{obj})"


@dataclass
class SolveResult(_OnSpace):
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
    status
        Why the run stopped, as an int (scipy's way): ``CONVERGED`` (0, the gradient norm
        reached ``tol``), ``MAX_STEPS`` (1, all steps taken), ``CALLBACK`` (2) or ``STUCK``
        (3); ``STATUS`` says what each means. ``converged`` and ``success`` derive from it.
    message
        Why the run stopped, in words.
    stats
        Engine statistics (MPI: workers, reduction, bytes and times per step, ...).

    ``result["x"]`` reads attributes (and ``stats`` entries) by name, as scipy's
    ``OptimizeResult`` does.
    """

    x: np.ndarray
    objective: float
    history: np.ndarray
    grad_norms: np.ndarray
    iterations: int
    status: int
    message: str
    space: Space
    engine: str = "local"
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def grad_norm(self) -> float:
        return float(self.grad_norms[-1])

    @property
    def converged(self) -> bool:
        """Whether the gradient norm reached ``tol`` (``status == CONVERGED``)."""
        return self.status == CONVERGED

    @property
    def success(self) -> bool:
        """True when the run converged or ran all its steps without fault."""
        return self.status in (CONVERGED, MAX_STEPS)

    def __getitem__(self, key: str) -> Any:
        if isinstance(key, str) and not key.startswith("_"):
            if key in self.stats:
                return self.stats[key]
            if hasattr(self, key):
                return getattr(self, key)
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: ``x`` by label, final objective, history, flags."""
        return {
            "x": {k: float(v) for k, v in zip(self.labels, self.x, strict=True)},
            "objective": float(self.objective),
            "history": [float(v) for v in self.history],
            "iterations": int(self.iterations),
            "converged": bool(self.converged),
            "status": int(self.status),
            "message": self.message,
        }

    def __repr__(self) -> str:
        return (
            f"SolveResult(objective={self.objective:.6g}, iterations={self.iterations}, "
            f"converged={self.converged}, grad_norm={self.grad_norm:.3g}, "
            f"message={self.message!r})"
        )
