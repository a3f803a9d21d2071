"""catopt: compositional optimization.

Open problems compose by variable sharing along undirected wiring diagrams; gradient descent
is a hypergraph functor, so the composite's gradient system is a distributed algorithm.

>>> import catopt as co
>>> d = co.relation("(x,) :- f(x, y), g(y)")
>>> d.junctions
('x', 'y')
"""

from catopt import category, sheaves
from catopt.category import Morphism
from catopt.engines import ExecutionPlan, SolveResult, Trajectory, compile_plan, simulate, solve
from catopt.errors import (
    BackendError,
    CatoptError,
    CompositionError,
    DiagramError,
    DivergenceError,
    EngineError,
    LimitError,
    ObjectiveError,
    RelationSyntaxError,
    RunInterrupted,
    ShapeError,
    SpaceError,
    SpecError,
    StateError,
)
from catopt.functor import (
    Constant,
    StepRule,
    estimate_curvature,
    euler,
    gradient_descent,
    gradient_flow,
)
from catopt.limits import Limits, get_limits, limits, set_limits
from catopt.problems import OpenProblem, compose
from catopt.problems.family import BoxFamily, fuse_families
from catopt.systems import OpenContinuousSystem, OpenDiscreteSystem
from catopt.wiring import UWD, Space, UWDBuilder, relation

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # wiring
    "UWD",
    "UWDBuilder",
    "Space",
    "relation",
    # problems and systems
    "OpenProblem",
    "OpenContinuousSystem",
    "OpenDiscreteSystem",
    "compose",
    "BoxFamily",
    "fuse_families",
    # functor
    "gradient_flow",
    "gradient_descent",
    "euler",
    "StepRule",
    "Constant",
    "estimate_curvature",
    # the hypergraph category
    "category",
    "Morphism",
    # engines
    "simulate",
    "solve",
    "Trajectory",
    "SolveResult",
    "compile_plan",
    "ExecutionPlan",
    # limits
    "Limits",
    "limits",
    "get_limits",
    "set_limits",
    # errors
    "CatoptError",
    "DiagramError",
    "RelationSyntaxError",
    "CompositionError",
    "ShapeError",
    "SpaceError",
    "ObjectiveError",
    "StateError",
    "DivergenceError",
    "BackendError",
    "EngineError",
    "SpecError",
    "LimitError",
    "RunInterrupted",
    # coordination over cellular sheaves
    "sheaves",
]
