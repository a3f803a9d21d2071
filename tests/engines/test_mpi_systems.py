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


@pytest.mark.parametrize("steps, kw, match", [
    ("a", {}, r"steps must be an int >= 0, got 'a'"),
    (-1, {}, r"steps must be an int >= 0, got -1"),
    (None, {}, r"steps must be an int >= 0, got None"),
    (2.5, {}, r"steps must be an int >= 0, got 2.5"),
    (3, {"tol": -1.0}, r"tol must be >= 0"),
    (3, {"tol": "x"}, r"tol must be a number"),
    (3, {"bogus": 1}, r"takes no option 'bogus'; its options are: callback, grad_norms, "),
    (3, {"engine": "mpi", "workers": 2, "chunk": 5}, r"takes no option 'chunk'.*reduction"),
    (3, {"workers": 0, "engine": "mpi"}, r"workers must be an int >= 1"),
])
def test_run_system_names_bad_arguments(steps, kw, match) -> None:
    """Bad steps, tol and options are refused up front, naming the argument (they were a bare
    ValueError, IndexError or TypeError from the driver, or 2.5 steps silently truncated)."""
    d, nets = _networks(6)
    system = hierarchical_dual_decomposition(d, nets, 0.02)
    with pytest.raises(co.CatoptError, match=match):
        run_system(system, np.zeros(system.n), steps, **kw)


def test_run_system_options_that_are_known_still_run() -> None:
    """The refusal is not too broad: the driver's options still reach it (callback stops the
    run; zero steps is the initial state)."""
    d, nets = _networks(6)
    system = hierarchical_dual_decomposition(d, nets, 0.02)
    seen: list[int] = []
    res = run_system(system, np.zeros(system.n), 50, step=0.02, progress=False,
                     callback=lambda t, x, f, g: seen.append(t) or t >= 4)
    assert res.iterations == 4 and seen[-1] == 4
    assert run_system(system, np.zeros(system.n), 0).iterations == 0


def test_proximal_dual_decomposition_refuses_an_unknown_option() -> None:
    from catopt.engines.proximal_flows import proximal_dual_decomposition

    net = co.OpenFlowNetwork(2, [(0, 1)], linear=[1.0], lower=0, upper=2, supply=[1.0, -1.0])
    with pytest.raises(co.EngineError, match="no option 'bogus'"):
        proximal_dual_decomposition(net, bogus=1)


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
