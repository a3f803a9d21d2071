"""The errors catopt raises on bad input.

Every error is a :class:`CatoptError`, itself a :class:`ValueError`, so callers can catch one
type. Each message names the box, port, junction, file or line at fault and what was expected.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CatoptError",
    "DiagramError",
    "RelationSyntaxError",
    "CompositionError",
    "NetworkError",
    "ShapeError",
    "SpaceError",
    "ObjectiveError",
    "StateError",
    "DivergenceError",
    "BackendError",
    "EngineError",
    "CheckpointError",
    "SpecError",
    "LimitError",
    "RunInterrupted",
    "RisingObjectiveWarning",
]


class CatoptError(ValueError):
    """Base of every error catopt raises on bad input."""


class DiagramError(CatoptError):
    """A malformed undirected wiring diagram (unknown box, junction or port)."""


class RelationSyntaxError(DiagramError):
    """Relation text that does not parse; carries the position and what was expected."""

    def __init__(self, text: str, position: int, expected: str, found: str | None = None) -> None:
        self.text = text
        self.position = position
        self.expected = expected
        self.found = found
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
        self.line = line
        self.column = col
        got = "end of input" if found is None else repr(found)
        # lines split on "\n" only, matching the line count (splitlines knows more breaks)
        src = text.split("\n")[line - 1]
        pointer = " " * (col - 1) + "^"
        super().__init__(
            f"relation syntax error at line {line}, column {col}: expected {expected}, "
            f"found {got}\n  {src}\n  {pointer}"
        )


class CompositionError(CatoptError):
    """Boxes and their fillers do not fit: missing or unknown boxes, port counts."""


class ShapeError(CatoptError):
    """A port's shape differs from its junction's, or an array has the wrong shape."""


class SpaceError(CatoptError):
    """A decision space or port list that does not make sense."""


class ObjectiveError(CatoptError):
    """An objective (or vector field) that fails or returns the wrong kind of value."""


class StateError(CatoptError):
    """A state vector of the wrong length or kind."""


class DivergenceError(CatoptError):
    """A run whose state or objective became NaN or infinite.

    Attributes
    ----------
    x
        The last finite state (flat vector)
    iteration
        The iteration at which ``x`` was the state
    hint
        A suggestion, for example the step compared with a curvature estimate
    """

    def __init__(self, message: str, *, x: Any, iteration: int, hint: str = "") -> None:
        self.x = x
        self.iteration = iteration
        self.hint = hint
        full = message if not hint else f"{message}\nhint: {hint}"
        super().__init__(full)


class BackendError(CatoptError):
    """An unknown or unavailable differentiation backend."""


class EngineError(CatoptError):
    """An engine failed to run a plan (unknown engine, a worker that died)."""


class CheckpointError(CatoptError):
    """A checkpoint that cannot be resumed: unreadable, or from another problem or run."""


class SpecError(CatoptError):
    """A problem spec file that is malformed: names the file, the table and the key."""


class LimitError(CatoptError):
    """An input over a configured resource limit (boxes, junctions, sizes, text length)."""


class RunInterrupted(CatoptError):
    """A run stopped by Ctrl-C (or SIGTERM); says where its checkpoint is and how to resume.

    Attributes: ``iteration`` reached, ``checkpoint`` (a path, or None when none was saved),
    ``x``, the last state, and ``signal``, ``"SIGINT"`` (Ctrl-C) or ``"SIGTERM"``.
    """

    def __init__(self, message: str, *, iteration: int, checkpoint: Any = None,
                 x: Any = None, signal: str = "SIGINT") -> None:
        self.iteration = iteration
        self.checkpoint = checkpoint
        self.x = x
        self.signal = signal
        super().__init__(message)


class RisingObjectiveWarning(UserWarning):
    """Warned once by ``solve`` when, under a constant step, the objective rose over a window
    of steps: the step exceeds ``2/L`` somewhere on the run (below it gradient descent never
    rises). The message compares the step with ``2 / estimate_curvature``."""


class NetworkError(CatoptError):
    """A flow network that does not make sense: an edge to an unknown node, an empty capacity
    range, supplies that do not balance on a connected component, a non-convex edge cost."""
