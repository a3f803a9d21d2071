"""The engines and their options, declared once: ``solve``, the spec loader and the CLI all
read this table."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EngineInfo", "ENGINES", "engine_names"]


@dataclass(frozen=True)
class EngineInfo:
    """An engine: where its runner is (``"module:function"``, imported when first used),
    what it is, whether it takes ``workers``, and its own options with their meaning."""

    name: str
    runner: str
    summary: str
    takes_workers: bool = False
    options: dict[str, str] = field(default_factory=dict)


ENGINES: dict[str, EngineInfo] = {
    "local": EngineInfo(
        "local", "catopt.engines.local:run_local",
        "in this process: one gather, one call per leaf, one scatter-add per step"),
    "mpi": EngineInfo(
        "mpi", "catopt.engines.mpi_engine:run_mpi",
        "on MPI ranks (workers = ranks): every rank one agent, shared variables summed by "
        "collectives", takes_workers=True,
        options={
            "sync_every": "local steps between exchanges (k > 1: an inexact variant)",
            "reduction": "'auto', 'allreduce' or 'neighbor'",
            "partition": "how leaves are assigned to ranks (see compile_plan)",
            "costs": "the cost of each leaf: 'size', 'measure' or a sequence",
            "plan": "an ExecutionPlan to run instead of compiling one",
            "timeout": "seconds for the whole launched run",
            "stall_timeout": "seconds a rank may wait for the others in one collective "
                             "before it ends the job (default 600; None: no limit)",
            "mpiexec": "the mpiexec to launch",
            "mpiexec_args": "extra arguments for mpiexec",
        }),
    "jax": EngineInfo(
        "jax", "catopt.engines.jax_engine:run_jax",
        "composites of box families, whole chunks of steps jitted with JAX",
        options={
            "chunk": "steps per jitted call (default 100)",
            "objectives": "per-box JAX objectives for autograd families",
            "grads": "per-box JAX gradients going with objectives",
        }),
}


def engine_names() -> list[str]:
    """The engines' names, in declaration order."""
    return list(ENGINES)
