"""Adam (Kingma and Ba), with its moments as shared state, and Armijo backtracking per box.

Adam: with ``g = grad f(x)`` at iteration ``t`` (from 0),

    m <- b1 m + (1 - b1) g,      v <- b2 v + (1 - b2) g*g,
    x <- x - (lr / (1 - b1^(t+1))) m / (sqrt(v) / sqrt(1 - b2^(t+1)) + eps),

the order of operations of ``torch.optim.Adam``. On a composite the moments live with the
*composite* coordinates, one pair per junction, updated from the *summed* gradient of the
boxes sharing it, exactly as :mod:`catopt.functor.momentum` keeps the velocity: distributable
(each junction keeps its moments; boxes compute only local gradients), but not a per-box
construction, since ``m``, ``v`` and the step are not linear in the gradient.

Armijo per box (:func:`box_armijo`): each box backtracks on its *own* objective,
``eta_b = eta0 beta^k`` the first with ``f_b(x - eta_b g_b) <= f_b(x) - c eta_b |g_b|^2``, as
Kenneweg et al. do per layer. Local (no global reduction), but not natural: the composite of
the boxes' systems is not Armijo on the composite (the tests measure by how much the square
fails).
"""

from __future__ import annotations

import numpy as np

from catopt.algebra.finset import Space
from catopt.algebra.protocol import OpenParts
from catopt.errors import CatoptError
from catopt.functor.gradient import euler_step
from catopt.problems.open_problem import OpenProblem
from catopt.systems.blocks import UpdateLeaf
from catopt.systems.open_system import DiscreteAlgebra, OpenDiscreteSystem
from catopt.validate import integer, number

__all__ = ["adam", "moments_space", "box_armijo"]


def moments_space(space: Space) -> Space:
    """The state space ``(x, m, v)``: each variable, its first moment ``m.name`` and its
    second moment ``v.name``."""
    pairs = list(zip(space.names, space.shapes, strict=True))
    return Space(pairs + [(f"m.{n}", s) for n, s in pairs] + [(f"v.{n}", s) for n, s in pairs])


def _unit(value: float, what: str, *, closed: bool = False) -> float:
    return number(value, what, nonnegative=closed, positive=not closed, below=1.0,
                  expected="in [0, 1)" if closed else "in (0, 1)")


def _positive(value: float, what: str) -> float:
    return number(value, what, positive=True, expected="a positive finite number")


def adam(problem: OpenProblem, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
         eps: float = 1e-8) -> OpenDiscreteSystem:
    """The Adam system of ``problem`` on the state ``(x, m, v)`` (start with ``m = v = 0``);
    the gradient is the composite's, computed box by box, the moments one per coordinate.
    The update at iteration ``t`` uses the bias corrections ``1 - beta^(t+1)``."""
    if not isinstance(problem, OpenProblem):
        raise CatoptError(f"adam takes an OpenProblem, got {type(problem).__name__}")
    lr = _positive(lr, "lr")
    b1, b2 = _unit(beta1, "beta1", closed=True), _unit(beta2, "beta2", closed=True)
    eps = _positive(eps, "eps")
    n = problem.n
    vg = problem.program.value_and_grad

    def value_and_update(z: np.ndarray, t: int) -> tuple[float, np.ndarray]:
        x, m, v = z[:n], z[n:2 * n], z[2 * n:]
        val, g = vg(x)
        m_new = b1 * m + (1 - b1) * g
        v_new = b2 * v + (1 - b2) * g * g
        k = int(t) + 1
        denom = np.sqrt(v_new) / np.sqrt(1 - b2**k) + eps
        x_new = x - (lr / (1 - b1**k)) * m_new / denom
        return val, np.concatenate([x_new, m_new, v_new])

    leaf = UpdateLeaf(3 * n, lambda z, t: value_and_update(z, t)[1], value_and_update,
                      what="adam")
    return DiscreteAlgebra().assemble(OpenParts(moments_space(problem.space),
                                                problem.port_variables, (leaf,), ("adam",),
                                                None, name=problem.name))


def box_armijo(problem: OpenProblem, eta0: float = 1.0, beta: float = 0.5, c: float = 1e-4,
               max_backtracks: int = 50) -> OpenDiscreteSystem:
    """Gradient descent whose step is found by Armijo backtracking on this box's own
    objective, ``x <- x - eta g`` with the largest ``eta = eta0 beta^k`` such that
    ``f(x - eta g) <= f(x) - c eta |g|^2``.

    Applied to a composite it is global Armijo (one step for all); composing the boxes'
    systems gives each box its own step: local, not natural."""
    if not isinstance(problem, OpenProblem):
        raise CatoptError(f"box_armijo takes an OpenProblem, got {type(problem).__name__}")
    eta0, c = _positive(eta0, "eta0"), _positive(c, "c")
    beta = _unit(beta, "beta")
    max_backtracks = integer(max_backtracks, "max_backtracks", minimum=1)
    vg = problem.program.value_and_grad

    def value_and_update(x: np.ndarray, t: int) -> tuple[float, np.ndarray]:
        val, g = vg(x)
        g2 = float(g @ g)
        eta = eta0
        for _ in range(max_backtracks):
            trial = problem.objective(euler_step(x, eta, -g))
            if np.isfinite(trial) and trial <= val - c * eta * g2:
                break
            eta *= beta
        return val, euler_step(x, eta, -g)

    leaf = UpdateLeaf(problem.n, lambda x, t: value_and_update(x, t)[1], value_and_update,
                      what="armijo")
    return DiscreteAlgebra().assemble(OpenParts(problem.space, problem.port_variables, (leaf,),
                                                ("armijo",), None, name=problem.name))
