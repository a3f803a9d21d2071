"""Open problems and their composition by variable sharing."""

from catopt.problems.base import Open
from catopt.problems.compose import compose
from catopt.problems.open_problem import OpenProblem

__all__ = ["Open", "OpenProblem", "compose"]
