"""catopt: compositional optimization.

Open problems compose by variable sharing along undirected wiring diagrams; gradient descent
is a hypergraph functor, so the composite's gradient system is a distributed algorithm.

>>> import catopt as co
>>> d = co.relation("(x,) :- f(x, y), g(y)")
>>> d.junctions
('x', 'y')
"""

from catopt import algebra, category, program, sheaves
from catopt.algebra import REAL, Z2, OpenParts, Ring, UWDAlgebra
from catopt.category import Morphism
from catopt.engines import (
    ExecutionPlan,
    SolveResult,
    Trajectory,
    compile_plan,
    simulate,
    solve,
    solve_z2,
)
from catopt.engines.proximal_flows import FlowSolution, proximal_dual_decomposition
from catopt.engines.systems import run_system
from catopt.errors import (
    BackendError,
    CatoptError,
    CheckpointError,
    CompositionError,
    DiagramError,
    DivergenceError,
    EngineError,
    LimitError,
    NetworkError,
    ObjectiveError,
    RelationSyntaxError,
    RisingObjectiveWarning,
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
from catopt.functor.decomposition import (
    dual_decomposition,
    hierarchical_dual_decomposition,
    recover_flows,
    standard_dual_decomposition,
)
from catopt.functor.primal_decomposition import primal_decomposition, with_inner_argmin
from catopt.functor.saddle import (
    ascent_flow,
    dual_ascent,
    gradient_ascent,
    gradient_ascent_descent,
    primal_dual_subgradient,
    recover_primal,
    saddle_flow,
    subgradient_method,
)
from catopt.interfaces import display as _display
from catopt.limits import Limits, get_limits, limits, set_limits
from catopt.problems import OpenProblem, compose
from catopt.problems.family import BoxFamily, fuse_families
from catopt.problems.flow_proximal import proximal_network
from catopt.problems.flow_random import random_flow_network
from catopt.problems.flows import OpenFlowNetwork, to_problem
from catopt.problems.quadratic import LeastSquaresFamily, QuadraticFamily
from catopt.problems.saddle import OpenSaddle
from catopt.program import Open, Program
from catopt.systems import OpenContinuousSystem, OpenDiscreteSystem
from catopt.wiring import UWD, Space, UWDBuilder, relation

_display.register()  # Jupyter display, result.plot(), progress bars: attached from interfaces

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
    "Open",
    "BoxFamily",
    "QuadraticFamily",
    "LeastSquaresFamily",
    # the algebra and the compiled form
    "algebra",
    "program",
    "UWDAlgebra",
    "OpenParts",
    "Ring",
    "REAL",
    "Z2",
    "Program",
    "fuse_families",
    # functor
    "gradient_flow",
    "gradient_descent",
    "euler",
    "StepRule",
    "Constant",
    "estimate_curvature",
    # saddle problems, flow networks and decomposition methods
    "OpenSaddle",
    "OpenFlowNetwork",
    "to_problem",
    "random_flow_network",
    "ascent_flow",
    "gradient_ascent",
    "subgradient_method",
    "saddle_flow",
    "gradient_ascent_descent",
    "primal_dual_subgradient",
    "dual_ascent",
    "primal_decomposition",
    "with_inner_argmin",
    "dual_decomposition",
    "standard_dual_decomposition",
    "hierarchical_dual_decomposition",
    "recover_primal",
    "recover_flows",
    "proximal_network",
    "proximal_dual_decomposition",
    "FlowSolution",
    "run_system",
    # the hypergraph category
    "category",
    "Morphism",
    # engines
    "simulate",
    "solve",
    "solve_z2",
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
    "NetworkError",
    "ShapeError",
    "SpaceError",
    "ObjectiveError",
    "StateError",
    "DivergenceError",
    "CheckpointError",
    "RisingObjectiveWarning",
    "BackendError",
    "EngineError",
    "SpecError",
    "LimitError",
    "RunInterrupted",
    # coordination over cellular sheaves
    "sheaves",
]
