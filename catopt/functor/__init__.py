"""The gradient-descent hypergraph functor and step rules."""

from catopt.functor.boolean import z2_box, z2_descent
from catopt.functor.curvature import estimate_curvature
from catopt.functor.gradient import euler, euler_step, gradient_descent, gradient_flow
from catopt.functor.steps import Constant, StepRule, as_step_rule

__all__ = [
    "gradient_flow",
    "gradient_descent",
    "euler",
    "euler_step",
    "z2_box",
    "z2_descent",
    "StepRule",
    "Constant",
    "as_step_rule",
    "estimate_curvature",
]
