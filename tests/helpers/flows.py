"""Random flow networks on random scalar-junction diagrams, and an independent reference
(networkx incidence matrices, dense pullbacks from tests/helpers/reference.py)."""

from __future__ import annotations

import networkx as nx
import numpy as np

import catopt as co
from catopt.problems.flow_random import random_flow_network
from tests.helpers.reference import reference_labels_and_pullbacks


def scalar_diagram(rng: np.random.Generator, max_junctions: int = 5, max_boxes: int = 4,
                   outer: bool = True, prefix: str = "") -> co.UWD:
    nj = int(rng.integers(1, max_junctions + 1))
    names = [f"{prefix}j{k}" for k in range(nj)]
    boxes = []
    for b in range(int(rng.integers(1, max_boxes + 1))):
        k = int(rng.integers(0, 4))
        boxes.append((f"{prefix}b{b}", [names[int(rng.integers(nj))] for _ in range(k)]))
    outs = [names[int(rng.integers(nj))] for _ in range(int(rng.integers(0, 3)))] if outer else []
    return co.UWD(boxes, outs, junctions=names)


def fill_networks(rng: np.random.Generator, d: co.UWD, **kw) -> list[co.OpenFlowNetwork]:
    nets = []
    for b in range(d.n_boxes):
        k = len(d.box_port_indices[b])
        n = int(rng.integers(max(k, 2), max(k, 2) + 6))
        net = random_flow_network(rng, n, 0.5, 0, name=d.qualified_boxes()[b], **kw)
        ports = [int(p) for p in rng.integers(0, n, k)]  # repeats allowed
        nets.append(net.with_parts(ports=tuple(ports)))
    return nets


def two_glued_networks() -> co.OpenFlowNetwork:
    """Two networks with linear costs and capacities glued at one node (``f.2 = g.0 = w``):
    the LP optimum sends 1 along f's path 0 -> 1 -> 2, 1 along its edge 0 -> 2, 2 along g's
    edge; cost 9."""
    f = co.OpenFlowNetwork(3, [(0, 1), (1, 2), (0, 2)], linear=[1.0, 1.0, 3.0], lower=0,
                           upper=[2.0, 1.0, 5.0], supply=[2.0, 0.0, 0.0], ports=[2])
    g = co.OpenFlowNetwork(2, [(0, 1)], linear=[2.0], lower=0, upper=[4.0],
                           supply=[0.0, -2.0], ports=[0])
    return co.compose(co.relation("() :- f(w), g(w)"), [f, g])


class FlowReference:
    """The composite network assembled independently: ``A = sum_b P_b' A_b`` with ``A_b`` from
    networkx (sign flipped to catopt's +1 at the source), ``b = sum_b P_b' b_b``."""

    def __init__(self, d: co.UWD, nets: list[co.OpenFlowNetwork]) -> None:
        self.labels, mats = reference_labels_and_pullbacks(d, nets)
        blocks, supplies = [], []
        self.a, self.beta, self.gamma, self.lo, self.hi = [], [], [], [], []
        self.flow_labels = []
        for q, P, net in zip(d.qualified_boxes(), mats, nets, strict=True):
            leaf = net.leaves[0]
            g = nx.MultiDiGraph()
            g.add_nodes_from(range(net.n))
            g.add_edges_from(zip(leaf.src.tolist(), leaf.tgt.tolist(), strict=True))
            Ab = -nx.incidence_matrix(g, oriented=True).toarray()
            blocks.append(P.T @ Ab)
            supplies.append(P.T @ leaf.supply)
            self.a.append(leaf.a)
            self.beta.append(leaf.beta)
            self.gamma.append(leaf.gamma)
            self.lo.append(leaf.lower)
            self.hi.append(leaf.upper)
            self.flow_labels += [f"{q}.flow[{i}]" for i in range(leaf.n_edges)]
        n = len(self.labels)
        self.A = np.hstack(blocks) if blocks else np.zeros((n, 0))
        self.b = sum(supplies, np.zeros(n))
        self.a, self.beta, self.gamma, self.lo, self.hi = (
            np.concatenate(v) for v in (self.a, self.beta, self.gamma, self.lo, self.hi))
        self.all_labels = list(self.labels) + self.flow_labels
        self.nv = n

    def lagrangian(self, z: np.ndarray) -> float:
        lam, x = z[:self.nv], z[self.nv:]
        return float(np.sum(self.a * x**2 + self.beta * x + self.gamma)
                     + lam @ (self.A @ x - self.b))

    def gradient(self, z: np.ndarray) -> np.ndarray:
        lam, x = z[:self.nv], z[self.nv:]
        return np.concatenate([self.A @ x - self.b, 2 * self.a * x + self.beta + self.A.T @ lam])

    def perm(self, labels: tuple[str, ...]) -> np.ndarray:
        """Index into a library vector giving the reference's order."""
        where = {lab: i for i, lab in enumerate(labels)}
        assert sorted(where) == sorted(self.all_labels)
        return np.array([where[lab] for lab in self.all_labels])

    def kkt_flow(self) -> np.ndarray:
        """The minimum-cost flow of quadratic costs without capacities: the KKT system
        ``[[2D, A'], [A, 0]] [x; lam] = [-beta; b]`` solved by least squares (``A`` loses one
        rank per connected component; ``x`` is unique)."""
        m = len(self.a)
        K = np.block([[np.diag(2 * self.a), self.A.T], [self.A, np.zeros((self.nv, self.nv))]])
        sol = np.linalg.lstsq(K, np.concatenate([-self.beta, self.b]), rcond=None)[0]
        return sol[:m]

    def proximal_lagrangian(self, z: np.ndarray, t: float, centre: np.ndarray) -> float:
        """The Lagrangian of the proximal network: ``L(x, lam) + |x - centre|^2 / (2t)``."""
        x = z[self.nv:]
        return self.lagrangian(z) + float(np.sum((x - centre) ** 2) / (2 * t))

    def linprog(self) -> tuple[np.ndarray, float, bool] | None:
        """The minimum-cost flow of the (linear or quadratic-free part of the) costs
        ``beta' x`` by scipy's HiGHS, its cost ``beta' x + sum gamma``, and whether the optimum
        is certified unique; None when HiGHS finds the network infeasible.

        Uniqueness: any optimal flow satisfies complementary slackness with HiGHS's optimal
        multipliers ``y``, so it differs from HiGHS's flow only on edges of zero reduced cost
        ``beta - A' y``, by a circulation; when those edges form a forest the only such
        circulation is 0."""
        from scipy.optimize import linprog

        res = linprog(self.beta, A_eq=self.A, b_eq=self.b,
                      bounds=list(zip(self.lo, self.hi, strict=True)), method="highs")
        if res.status == 2:
            return None
        assert res.status == 0, res.message
        y = res.eqlin.marginals
        reduced = self.beta - self.A.T @ y
        tight = np.flatnonzero(np.abs(reduced) <= 1e-9 * max(1.0, np.abs(self.beta).max()))
        g = nx.MultiGraph()
        g.add_nodes_from(range(self.nv))
        for e in tight.tolist():
            u, v = np.flatnonzero(self.A[:, e] > 0), np.flatnonzero(self.A[:, e] < 0)
            if len(u) == 0:  # a self-loop (a zero column) is a cycle by itself
                g.add_edge(-1, -1)
                continue
            g.add_edge(int(u[0]), int(v[0]))
        unique = nx.is_forest(g) if g.number_of_edges() else True
        return res.x, float(res.fun + self.gamma.sum()), unique
