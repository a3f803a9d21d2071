"""Random open saddle problems on random (nested) diagrams, and dense references.

Each box has ``L(x, lam) = 1/2 x'Qx + c'x + lam'(Ax - b) - 1/2 lam'R lam + e sum x^4
+ k sum |x|`` on a named space of shaped variables, primal and dual mixed in a random order;
its gradient is given by hand (``sign(0) = 0`` is the subgradient selection of ``|x|``), and
with ``e = k = 0`` its closed-form inner minimizer ``-Q^{-1}(c + A'lam)`` is given too.
Junctions get a kind (primal or dual) and every port inherits its junction's kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import catopt as co
from catopt.problems.saddle import OpenSaddle
from tests.helpers.reference import reference_labels_and_pullbacks
from tests.strategies import SHAPES, random_diagram


@dataclass
class SaddleInstance:
    d: co.UWD
    boxes: list[OpenSaddle]


def random_saddle(rng: np.random.Generator, shapes: list[tuple[int, ...]], kinds: list[bool],
                  *, smooth: bool = True, quartic: bool = False, bounds: bool = False,
                  name: str | None = None) -> OpenSaddle:
    """A random open saddle problem whose ports have ``shapes`` and kinds (True: dual)."""
    variables: list[tuple[str, tuple[int, ...], bool]] = []
    ports: list[str] = []
    for s, k in zip(shapes, kinds, strict=True):
        same = [v for v, vs, vk in variables if vs == s and vk == k]
        if same and rng.random() < 0.25:
            ports.append(same[int(rng.integers(len(same)))])
        else:
            v = f"v{len(variables)}"
            variables.append((v, s, k))
            ports.append(v)
    private = []
    for _ in range(int(rng.integers(1, 3))):
        v = f"p{len(variables)}"
        variables.append((v, SHAPES[int(rng.integers(len(SHAPES)))], bool(rng.random() < 0.4)))
        private.append(v)
    if not any(not k for _, _, k in variables):
        variables.append((f"p{len(variables)}", (2,), False))
        private.append(variables[-1][0])
    order = rng.permutation(len(variables))
    variables = [variables[i] for i in order]
    space = co.Space([(v, s) for v, s, _ in variables])
    mask = np.zeros(space.n, dtype=bool)
    for v, _, k in variables:
        mask[space.slice(v)] = k
    pi, di = np.flatnonzero(~mask), np.flatnonzero(mask)
    n, m = len(pi), len(di)
    M = rng.standard_normal((n, n))
    Q = M @ M.T / max(n, 1) + np.eye(n)
    c = rng.standard_normal(n)
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    N = rng.standard_normal((m, m)) * 0.3
    R = N @ N.T
    e = float(rng.uniform(0.01, 0.1)) if quartic else 0.0
    kap = 0.0 if smooth else float(rng.uniform(0.1, 1.0))

    def flat_grad(z: np.ndarray) -> np.ndarray:
        x, lam = z[pi], z[di]
        g = np.empty_like(z)
        g[pi] = Q @ x + c + A.T @ lam + 4 * e * x**3 + kap * np.sign(x)
        g[di] = A @ x - b - R @ lam
        return g

    def flat_value(z: np.ndarray) -> float:
        x, lam = z[pi], z[di]
        return float(0.5 * x @ Q @ x + c @ x + lam @ (A @ x - b) - 0.5 * lam @ R @ lam
                     + e * np.sum(x**4) + kap * np.sum(np.abs(x)))

    def lag(*arrays: np.ndarray) -> float:
        return flat_value(space.pack(list(arrays)))

    def grad(*arrays: np.ndarray) -> np.ndarray:
        return flat_grad(space.pack(list(arrays)))

    argmin = None
    if e == 0 and kap == 0:
        Qi = np.linalg.inv(Q)

        def argmin(z: np.ndarray) -> np.ndarray:
            return -Qi @ (c + A.T @ z[di])

    bnds = None
    if bounds:
        cand = [v for v in private if not mask[space.slice(v)].any()]
        if cand:
            bnds = {cand[0]: (-0.3, 0.4)}
            argmin = None
    return OpenSaddle(lag, space, ports, dual=[v for v, _, k in variables if k], grad=grad,
                      argmin=argmin, bounds=bnds, name=name)


def kinds_for(d: co.UWD, rng: np.random.Generator, dual_only: bool,
              fixed: dict[str, bool] | None = None) -> dict[str, bool]:
    kinds = {j: True if dual_only else bool(rng.random() < 0.5) for j in d.junctions}
    kinds.update(fixed or {})
    return kinds


def fill_saddles(rng: np.random.Generator, d: co.UWD, kinds: dict[str, bool],
                 **kw: object) -> list[OpenSaddle]:
    out = []
    for b in range(d.n_boxes):
        js = [d.junctions[j] for j in d.box_port_indices[b]]
        out.append(random_saddle(rng, list(d.port_shapes(b)), [kinds[j] for j in js],
                                 name=d.qualified_boxes()[b], **kw))
    return out


def random_saddle_composite(seed: int, *, dual_only: bool = False,
                            **kw: object) -> SaddleInstance:
    rng = np.random.default_rng(seed)
    d = random_diagram(rng)
    return SaddleInstance(d, fill_saddles(rng, d, kinds_for(d, rng, dual_only), **kw))


def nested_saddles(seed: int, *, dual_only: bool = False, **kw: object):
    """``(d, b, e, outer, inner)``: box ``b`` of ``d`` filled by a composite along ``e``."""
    for s in range(seed, seed + 1000):
        rng = np.random.default_rng(s)
        d = random_diagram(rng)
        b = int(rng.integers(d.n_boxes))
        e = random_diagram(rng, outer_shapes=list(d.port_shapes(b)), prefix="i")
        kd = kinds_for(d, rng, dual_only)
        fixed: dict[str, bool] = {}
        ok = True
        for j_out, j_in in zip(d.box_port_indices[b], e.outer_indices, strict=True):
            want = kd[d.junctions[j_out]]
            name = e.junctions[j_in]
            if fixed.setdefault(name, want) != want:
                ok = False
        if not ok:
            continue
        ke = kinds_for(e, rng, dual_only, fixed)
        return d, b, e, fill_saddles(rng, d, kd, **kw), fill_saddles(rng, e, ke, **kw)
    raise AssertionError("no consistent nesting found")


# -- dense references ---------------------------------------------------------------------------
class Reference:
    """The composite of boxes along ``d`` by dense pullback matrices: ``L(z) = sum L_b(P_b z)``
    with each box's own (sub)gradient, its dual mask and its bounds."""

    def __init__(self, d: co.UWD, boxes: list[OpenSaddle]) -> None:
        self.labels, self.mats = reference_labels_and_pullbacks(d, boxes)
        self.boxes = boxes
        n = len(self.labels)
        self.dual = np.zeros(n, dtype=bool)
        self.lower, self.upper = np.full(n, -np.inf), np.full(n, np.inf)
        for P, p in zip(self.mats, boxes, strict=True):
            rows, cols = np.nonzero(P)
            self.dual[cols[p.dual_mask[rows]]] = True
            self.lower[cols] = np.maximum(self.lower[cols], p.lower[rows])
            self.upper[cols] = np.minimum(self.upper[cols], p.upper[rows])

    def grad(self, z: np.ndarray) -> np.ndarray:
        return sum((P.T @ p.gradient(P @ z) for P, p in zip(self.mats, self.boxes, strict=True)),
                   np.zeros_like(z))

    def field(self, z: np.ndarray) -> np.ndarray:
        return np.where(self.dual, 1.0, -1.0) * self.grad(z)

    def gad(self, z: np.ndarray, eta: float) -> np.ndarray:
        return np.clip(z + eta * self.field(z), self.lower, self.upper)

    def inner_argmin(self, z: np.ndarray) -> np.ndarray:
        """argmin over the primal coordinates of a composite quadratic in x (solved densely)."""
        read = sum((P.sum(axis=0) for P in self.mats), np.zeros(len(self.labels))) > 0
        p = np.flatnonzero(~self.dual & read)
        base = z.copy()
        base[p] = 0.0
        r = self.grad(base)[p]
        H = np.empty((len(p), len(p)))
        for k, i in enumerate(p):
            w = base.copy()
            w[i] = 1.0
            H[:, k] = self.grad(w)[p] - r
        out = z.copy()
        out[p] = np.linalg.solve(H, -r)
        return out

    def dual_ascent(self, z: np.ndarray, eta: float) -> np.ndarray:
        w = self.inner_argmin(z)
        g = self.grad(w)
        w[self.dual] = z[self.dual] + eta * g[self.dual]
        return w

    def reorder(self, labels: tuple[str, ...]) -> np.ndarray:
        """Permutation taking the library's coordinates to the reference's."""
        where = {lab: i for i, lab in enumerate(labels)}
        assert sorted(labels) == sorted(self.labels)
        return np.array([where[lab] for lab in self.labels])
