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
                        name: str | None = None) -> OpenFlowNetwork:
    """A connected ``G(n, p)`` network with quadratic costs ``a x^2 + beta x + gamma``
    (``a ~ U(0, 1)``, ``beta, gamma ~ +-U(0, 1)``), ``nonzero`` supplies summing to zero (the
    paper's ``random_flow``), and ``n_ports`` distinct random port nodes (sorted).

    ``capacities`` adds bounds ``[-u, u]`` with ``u ~ U(0.5, 2)``; ``linear`` drops the
    quadratic term (then capacities are needed for a bounded inner minimization)."""
    e = random_connected_edges(rng, n, p)
    m = len(e)
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
    return OpenFlowNetwork(n, [tuple(x) for x in e.tolist()], quadratic=a, linear=beta,
                           constant=gamma, lower=None if cap is None else -cap, upper=cap,
                           supply=b, ports=ports, name=name)
