"""Random open flow networks: the setup of the paper's experiment (AlgebraicOptimization.jl's
``random_open_flowgraph``), vectorized."""

from __future__ import annotations

import numpy as np

from catopt.problems.flows import OpenFlowNetwork, components

__all__ = ["random_flow_network", "random_connected_edges"]


def random_connected_edges(rng: np.random.Generator, n: int, p: float,
                           max_tries: int = 1000) -> np.ndarray:
    """The directed edges ``u -> v`` (``u < v``) of an Erdos-Renyi ``G(n, p)`` graph,
    resampled until connected, as an ``(m, 2)`` array."""
    iu, ju = np.triu_indices(n, 1)
    for _ in range(max_tries):
        keep = rng.random(len(iu)) < p
        src, tgt = iu[keep], ju[keep]
        if n <= 1 or np.all(components(n, src, tgt) == 0):
            return np.stack([src, tgt], axis=1)
    raise RuntimeError(f"no connected G({n}, {p}) graph in {max_tries} tries")


def random_flow_network(rng: np.random.Generator, n: int, p: float, n_ports: int, *,
                        nonzero: int = 4, capacities: bool = False, linear: bool = False,
                        feasible: bool = False, integer: bool = False,
                        name: str | None = None) -> OpenFlowNetwork:
    """A connected ``G(n, p)`` network with quadratic costs ``a x^2 + beta x + gamma``
    (``a ~ U(0, 1)``, ``beta, gamma ~ +-U(0, 1)``), ``nonzero`` supplies summing to zero (the
    paper's ``random_flow``), and ``n_ports`` distinct random port nodes (sorted).

    ``capacities`` adds bounds ``[-u, u]`` with ``u ~ U(0.5, 2)``; ``linear`` drops the
    quadratic term (then capacities are needed for a bounded inner minimization).

    ``feasible`` replaces the supplies by ``b = A x0`` for a flow ``x0`` drawn uniformly inside
    the capacities (``U(-1, 1)`` without them), so that capacities cannot make the network
    infeasible; a composite of such networks is feasible too (``phi_* A_i x0_i = A x0``).

    ``integer`` draws integer data for solvers that need it (``networkx.min_cost_flow``):
    costs ``beta`` in ``{-5, ..., 5}`` (and ``a`` in ``{0, 1, 2}``, ``gamma = 0``), capacities
    ``[0, u]`` with ``u`` in ``{1, ..., 4}``, and supplies ``b = A x0`` of an integer flow
    ``x0`` in ``[0, u]``."""
    e = random_connected_edges(rng, n, p)
    m = len(e)
    if integer:
        a = np.zeros(m) if linear else rng.integers(0, 3, m).astype(float)
        beta = rng.integers(-5, 6, m).astype(float)
        hi = rng.integers(1, 5, m).astype(float)
        x0 = np.floor(rng.uniform(0.0, hi + 1.0))
        b = np.zeros(n)
        np.add.at(b, e[:, 0], x0)
        np.add.at(b, e[:, 1], -x0)
        ports = sorted(rng.choice(n, n_ports, replace=False).tolist())
        return OpenFlowNetwork(n, [tuple(x) for x in e.tolist()], quadratic=a, linear=beta,
                               lower=0.0, upper=hi, supply=b, ports=ports, name=name)
    a = np.zeros(m) if linear else rng.uniform(0.0, 1.0, m)
    beta = rng.choice([-1.0, 1.0], m) * rng.uniform(0.0, 1.0, m)
    gamma = rng.choice([-1.0, 1.0], m) * rng.uniform(0.0, 1.0, m)
    k = min(nonzero, n)
    u = rng.uniform(-1.0, 1.0, k)
    vals = np.concatenate([[(u[0] - u[-1]) / 2], np.diff(u) / 2]) if k > 1 else np.zeros(k)
    b = np.zeros(n)
    b[rng.choice(n, k, replace=False)] = vals
    ports = sorted(rng.choice(n, n_ports, replace=False).tolist())
    cap = rng.uniform(0.5, 2.0, m) if capacities else None
    if feasible:
        x0 = rng.uniform(-1.0, 1.0, m) * (1.0 if cap is None else cap)
        b = np.zeros(n)
        np.add.at(b, e[:, 0], x0)
        np.add.at(b, e[:, 1], -x0)
    return OpenFlowNetwork(n, [tuple(x) for x in e.tolist()], quadratic=a, linear=beta,
                           constant=gamma, lower=None if cap is None else -cap, upper=cap,
                           supply=b, ports=ports, name=name)
