"""Running composites: simulate systems, solve problems, in-process or on MPI."""

from catopt.engines.plan import ExecutionPlan, compile_plan
from catopt.engines.results import SolveResult, Trajectory
from catopt.engines.simulate import simulate
from catopt.engines.solve import solve, solve_z2

__all__ = ["simulate", "solve", "solve_z2", "Trajectory", "SolveResult", "ExecutionPlan",
           "compile_plan"]
