"""Any method's discrete system runs on MPI ranks: dual decomposition of a composite flow
network and gradient ascent-descent of a saddle problem give the local engine's iterates."""

from __future__ import annotations

import numpy as np
import pytest

import catopt as co
from catopt.engines.systems import run_system
from catopt.functor.decomposition import hierarchical_dual_decomposition
from catopt.problems.flow_random import random_flow_network

pytestmark = pytest.mark.mpi


def _networks(seed: int) -> tuple[co.UWD, list]:
    rng = np.random.default_rng(seed)
    nets = [random_flow_network(rng, 7, 0.5, 2) for _ in range(3)]
    # a ring of three subnetworks, each sharing one boundary node with the next
    d = co.UWD([("a", ["u", "v"]), ("b", ["v", "w"]), ("c", ["w", "u"])], [])
    return d, nets


@pytest.mark.parametrize("reduction", ["neighbor", "allreduce"])
def test_hierarchical_dual_decomposition_on_two_ranks_equals_local(reduction: str) -> None:
    d, nets = _networks(5)
    system = hierarchical_dual_decomposition(d, nets, 0.02)
    x0 = np.zeros(system.n)
    local = run_system(system, x0, 60, step=0.02)
    mpi = run_system(system, x0, 60, step=0.02, engine="mpi", workers=2, reduction=reduction)
    assert mpi.iterations == local.iterations == 60
    scale = max(1.0, float(np.max(np.abs(local.x))))
    np.testing.assert_allclose(mpi.x, local.x, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(mpi.grad_norms, local.grad_norms, rtol=1e-10)
    if reduction == "neighbor":  # the exact exchange adds in leaf order: bit for bit
        np.testing.assert_array_equal(mpi.x, local.x)
    # companion: one step fewer is told apart
    short = run_system(system, x0, 59, step=0.02)
    assert not np.allclose(short.x, mpi.x, rtol=0, atol=1e-12 * scale)


def test_run_system_refuses_other_engines() -> None:
    d, nets = _networks(6)
    system = hierarchical_dual_decomposition(d, nets, 0.02)
    with pytest.raises(co.CatoptError, match="engine 'local' or 'mpi'"):
        run_system(system, np.zeros(system.n), 3, engine="jax")
    with pytest.raises(co.CatoptError, match="workers"):
        run_system(system, np.zeros(system.n), 3, workers=2)


@pytest.mark.slow
def test_proximal_dual_decomposition_on_two_ranks_equals_local() -> None:
    """Every proximal subproblem of the exact LP recovery runs through run_system, so on MPI
    ranks too: the flows equal the local engine's (the exact neighbour exchange)."""
    from catopt.engines.proximal_flows import proximal_dual_decomposition

    rng = np.random.default_rng(3)
    nets = [random_flow_network(rng, 5, 0.6, 2, capacities=True, linear=True, feasible=True)
            for _ in range(3)]
    d = co.UWD([("a", ["u", "v"]), ("b", ["v", "w"]), ("c", ["w", "u"])], [])
    net = co.compose(d, nets)
    local = proximal_dual_decomposition(net, t=100.0, tol=1e-10)
    mpi = proximal_dual_decomposition(net, t=100.0, tol=1e-10, engine="mpi", workers=2)
    assert local.converged and mpi.converged
    assert mpi.outer_iterations == local.outer_iterations
    assert mpi.inner_steps == local.inner_steps
    np.testing.assert_array_equal(mpi.flows, local.flows)
