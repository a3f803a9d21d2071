"""Dual decomposition of flow networks, standard and hierarchical.

Dual decomposition is :func:`~catopt.functor.saddle.dual_ascent` applied to a network's
Lagrangian :func:`~catopt.problems.flows.to_problem`: per leaf, the edge flows minimize
``c_e(x_e) + (A' lam)_e x_e`` in closed form (vectorized over the leaf's edges), then the
multipliers step ``lam + eta (A x - b)``. Because ``to_problem`` and ``dual_ascent`` are
algebra morphisms,

    dual_decomposition(compose(d, nets)) == compose(d, [dual_decomposition(n) for n in nets]),

the *hierarchical* algorithm (each subnetwork works on its own nodes ``q_i^* lam`` and the
increments are summed on shared nodes) is derived, not written. *Standard* dual decomposition
runs the same update on the composite network flattened into one leaf (every edge reads the
full multiplier vector through one incidence matrix). Both give the same iterates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from catopt.algebra.protocol import compose
from catopt.errors import NetworkError
from catopt.functor.saddle import dual_ascent, recover_primal
from catopt.problems.flows import OpenFlowNetwork, to_problem
from catopt.wiring.uwd import UWD

__all__ = ["dual_decomposition", "standard_dual_decomposition",
           "hierarchical_dual_decomposition", "recover_flows"]


def _net(net: Any) -> OpenFlowNetwork:
    if not isinstance(net, OpenFlowNetwork):
        raise NetworkError(f"dual decomposition takes an OpenFlowNetwork, got "
                           f"{type(net).__name__}")
    return net


def dual_decomposition(net: OpenFlowNetwork, step: Any, *, carry_primal: bool = True) -> Any:
    """``dual_ascent(to_problem(net), step)``: on a composite, one leaf per subnetwork (the
    hierarchical algorithm). State: the node multipliers and each leaf's edge flows
    ``x*(lam)``, or with ``carry_primal=False`` the multipliers alone (then
    ``recover_flows(net, lam)`` gives the flows)."""
    return dual_ascent(to_problem(_net(net)), step, carry_primal=carry_primal)


def recover_flows(net: OpenFlowNetwork, lam: Any) -> np.ndarray:
    """The edge flows ``x*(lam)`` of every leaf, in leaf order, from node multipliers."""
    z = recover_primal(to_problem(_net(net)), lam)
    return z[net.n:]


def standard_dual_decomposition(net: OpenFlowNetwork, step: Any, *,
                                carry_primal: bool = True) -> Any:
    """Dual decomposition of the composite flattened into one network."""
    return dual_ascent(to_problem(_net(net).flatten()), step, carry_primal=carry_primal)


def hierarchical_dual_decomposition(d: UWD, nets: Mapping[str, Any] | Sequence[Any],
                                    step: Any, *, carry_primal: bool = True) -> Any:
    """The per-network dual-decomposition systems composed along ``d`` (the discrete
    algebra pushes their increments; shared boundary nodes sum them)."""
    items = list(nets.values()) if isinstance(nets, Mapping) else list(nets)
    systems = [dual_decomposition(n, step, carry_primal=carry_primal) for n in items]
    if isinstance(nets, Mapping):
        return compose(d, dict(zip(nets.keys(), systems, strict=True)))
    return compose(d, systems)
