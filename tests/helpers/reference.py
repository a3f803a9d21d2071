"""An independent reference for composition: the pushout by networkx connected components
and dense 0/1 pullback matrices, with labels built from DESIGN.md's rules.

Used to recompute composite objectives and gradients without the library's gluing code.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

import catopt as co


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=int))


def reference_labels_and_pullbacks(
    d: co.UWD, problems: list[co.OpenProblem]
) -> tuple[list[str], list[np.ndarray]]:
    """Composite coordinate labels and, per box, the dense matrix ``P_b`` with
    ``x_b = P_b y``."""
    qual = d.qualified_boxes()
    g = nx.Graph()
    for j in d.junctions:
        g.add_node(("J", j))
    for b, p in enumerate(problems):
        for v in p.space.names:
            g.add_node(("V", b, v))
        for port, j in zip(p.ports, d.ports(b), strict=True):
            vname = str(port) if p.space.integer else port
            g.add_edge(("V", b, vname), ("J", j))
    comp_of = {}
    for k, comp in enumerate(nx.connected_components(g)):
        for node in comp:
            comp_of[node] = k
    # composite variables: junction classes in junction order, then private box variables
    var_names: list[tuple[str, tuple[int, ...]]] = []
    var_of_comp: dict[int, int] = {}
    for j in d.junctions:
        k = comp_of[("J", j)]
        if k not in var_of_comp:
            var_of_comp[k] = len(var_names)
            var_names.append((j, d.shape(j)))
    for b, p in enumerate(problems):
        for v, s in zip(p.space.names, p.space.shapes, strict=True):
            k = comp_of[("V", b, v)]
            if k not in var_of_comp:
                var_of_comp[k] = len(var_names)
                var_names.append((f"{qual[b]}.{v}", s))
    labels: list[str] = []
    offsets = {}
    for i, (name, shape) in enumerate(var_names):
        offsets[i] = len(labels)
        labels.extend([name] if shape == () else [f"{name}[{t}]" for t in range(_size(shape))])
    n = len(labels)
    mats = []
    for b, p in enumerate(problems):
        P = np.zeros((p.n, n))
        row = 0
        for v, s in zip(p.space.names, p.space.shapes, strict=True):
            start = offsets[var_of_comp[comp_of[("V", b, v)]]]
            for t in range(_size(s)):
                P[row, start + t] = 1.0
                row += 1
        mats.append(P)
    return labels, mats


def reference_value_and_grad(
    d: co.UWD, problems: list[co.OpenProblem], y: np.ndarray
) -> tuple[float, np.ndarray]:
    """``sum_b f_b(P_b y)`` and ``sum_b P_b^T grad f_b(P_b y)`` with each box's own gradient."""
    _, mats = reference_labels_and_pullbacks(d, problems)
    v = 0.0
    g = np.zeros_like(y)
    for P, p in zip(mats, problems, strict=True):
        xb = P @ y
        vb, gb = p.value_and_grad(xb)
        v += vb
        g += P.T @ gb
    return v, g
