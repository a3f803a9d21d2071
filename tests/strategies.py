"""Random instances for law tests: diagrams, quadratic-plus-quartic open problems, composites.

Everything is built from a numpy Generator so that a hypothesis-drawn seed reproduces an
instance; ``composites()`` is the hypothesis strategy.

Each random box problem has objective ``0.5 x'Ax + c'x + e * sum(x**4)`` on its flat space
(``e = 0`` gives a pure quadratic), with its exposed variables chosen to match the diagram's
port shapes; two ports of the same shape sometimes expose one variable (a non-injective
portmap), and boxes sometimes have private variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import autograd.numpy as anp
import numpy as np
from hypothesis import strategies as st

import catopt as co

SHAPES = [(), (), (2,), (3,), (2, 2)]


@dataclass
class Quad:
    """Data of ``0.5 x'Ax + c'x + e sum(x^4)`` on a flat space of size n."""

    A: np.ndarray
    c: np.ndarray
    e: float

    def value(self, x: np.ndarray) -> float:
        return float(0.5 * x @ self.A @ x + self.c @ x + self.e * np.sum(x**4))

    def grad(self, x: np.ndarray) -> np.ndarray:
        return 0.5 * (self.A + self.A.T) @ x + self.c + 4 * self.e * x**3


@dataclass
class Instance:
    d: co.UWD
    problems: list[co.OpenProblem]
    quads: list[Quad] = field(default_factory=list)


def random_diagram(
    rng: np.random.Generator,
    outer_shapes: list[tuple[int, ...]] | None = None,
    max_junctions: int = 5,
    max_boxes: int = 4,
    prefix: str = "",
) -> co.UWD:
    """A random UWD; with ``outer_shapes``, its outer ports have exactly those shapes."""
    nj = int(rng.integers(1, max_junctions + 1))
    names = [f"{prefix}j{k}" for k in range(nj)]
    shapes = {n: SHAPES[int(rng.integers(len(SHAPES)))] for n in names}
    outer: list[str] = []
    if outer_shapes is not None:
        for k, s in enumerate(outer_shapes):
            same = [n for n in names if shapes[n] == s]
            if same and rng.random() < 0.3:
                outer.append(same[int(rng.integers(len(same)))])
            else:
                name = f"{prefix}o{k}"
                names.append(name)
                shapes[name] = s
                outer.append(name)
    else:
        for _ in range(int(rng.integers(0, 4))):
            outer.append(names[int(rng.integers(len(names)))])
    nb = int(rng.integers(1, max_boxes + 1))
    boxes = []
    for b in range(nb):
        k = int(rng.integers(0, 5))
        ports = [names[int(rng.integers(len(names)))] for _ in range(k)]
        # repeat a box name now and then
        bname = f"{prefix}b{b}" if rng.random() < 0.8 or b == 0 else f"{prefix}b0"
        boxes.append((bname, ports))
    # make sure every outer junction is touched sometimes, but not always
    return co.UWD(boxes, outer, junctions=names, shapes=shapes)


def random_problem(
    rng: np.random.Generator,
    port_shapes: list[tuple[int, ...]],
    *,
    quartic: bool = True,
    name: str | None = None,
    pd: bool = False,
) -> tuple[co.OpenProblem, Quad]:
    """A random open problem whose ports have ``port_shapes``."""
    variables: list[tuple[str, tuple[int, ...]]] = []
    ports: list[str] = []
    for s in port_shapes:
        same = [v for v, vs in variables if vs == s]
        if same and rng.random() < 0.25:
            ports.append(same[int(rng.integers(len(same)))])
        else:
            v = f"v{len(variables)}"
            variables.append((v, s))
            ports.append(v)
    for _ in range(int(rng.integers(0, 3))):
        variables.append((f"p{len(variables)}", SHAPES[int(rng.integers(len(SHAPES)))]))
    space = dict(variables)
    n = sum(int(np.prod(s, dtype=int)) for s in space.values())
    M = rng.standard_normal((n, n))
    A = M @ M.T / max(n, 1) + (np.eye(n) if pd else 0.0 * np.eye(n))
    if not pd:
        A = A + rng.standard_normal((n, n)) * 0.1
    c = rng.standard_normal(n)
    e = float(rng.uniform(0, 0.1)) if quartic else 0.0
    q = Quad(A, c, e)
    integer = all(s == () for s in space.values()) and rng.random() < 0.5
    if integer:
        order = list(space)
        pidx = [order.index(p) for p in ports]

        def f_int(x, A=A, c=c, e=e):
            return 0.5 * anp.dot(x, anp.dot(A, x)) + anp.dot(c, x) + e * anp.sum(x**4)

        return co.OpenProblem(f_int, n, ports=pidx, name=name), q
    shapes = list(space.values())

    def f_named(*arrays, A=A, c=c, e=e, shapes=shapes):
        x = anp.concatenate([anp.reshape(a, (-1,)) for a in arrays]) if arrays else anp.zeros(0)
        return 0.5 * anp.dot(x, anp.dot(A, x)) + anp.dot(c, x) + e * anp.sum(x**4)

    return co.OpenProblem(f_named, space, ports=ports, name=name), q


def fill(rng: np.random.Generator, d: co.UWD, **kw: object) -> Instance:
    """Random problems for every box of ``d``."""
    problems, quads = [], []
    for b in range(d.n_boxes):
        p, q = random_problem(rng, list(d.port_shapes(b)), name=d.qualified_boxes()[b], **kw)
        problems.append(p)
        quads.append(q)
    return Instance(d, problems, quads)


def random_composite(rng: np.random.Generator, **kw: object) -> Instance:
    return fill(rng, random_diagram(rng), **kw)


seeds = st.integers(min_value=0, max_value=2**32 - 1)


def composites(**kw: object) -> st.SearchStrategy[Instance]:
    """Hypothesis strategy of random :class:`Instance` s."""
    return seeds.map(lambda s: random_composite(np.random.default_rng(s), **kw))


def nested_composite(seed: int) -> tuple[co.UWD, int, co.UWD, list, list]:
    """A random diagram, a box b of it, a random inner diagram for b, and fillers."""
    rng = np.random.default_rng(seed)
    d = random_diagram(rng)
    b = int(rng.integers(d.n_boxes))
    e = random_diagram(rng, outer_shapes=list(d.port_shapes(b)), prefix="i")
    outer = fill(rng, d)
    inner = fill(rng, e)
    return d, b, e, outer.problems, inner.problems
