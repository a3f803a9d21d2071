"""Coordination over cellular sheaves: sheaves, their Laplacians and projections, sheaf
problems as UWD composites (diffusion is gradient descent), ADMM for homological programs,
multi-agent MPC and decentralized methods on the constant sheaf."""

from catopt.sheaves.errors import SheafError, SheafSyntaxError
from catopt.sheaves.potentials import Potential, distance, quadratic
from catopt.sheaves.sheaf import Sheaf, random_sheaf
from catopt.sheaves.syntax import sheaf
from catopt.sheaves.uwd import to_problem, to_uwd

__all__ = [
    "Sheaf",
    "sheaf",
    "random_sheaf",
    "to_uwd",
    "to_problem",
    "Potential",
    "quadratic",
    "distance",
    "SheafError",
    "SheafSyntaxError",
]
