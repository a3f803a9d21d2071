"""A UWD-algebra defined outside catopt composes with ``co.compose`` and no change to catopt.

Open affine constraint sets ``{x : A x = b}``: a leaf holds ``(A, b)`` on its own coordinates,
and composing stacks the rows, each leaf's columns carried to the composite coordinates by the
pushout. The composite is checked against a hand assembly that goes through coordinate
*labels* (junction names, ``box.variable``), not through the gather index, and a broken
algebra (one that forgets the gluing) is caught by the same check.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import catopt as co
from tests.strategies import random_diagram, random_problem


class AffineLeaf:
    """``A x = b`` on ``size`` coordinates."""

    def __init__(self, A: np.ndarray, b: np.ndarray) -> None:
        self.A, self.b = A, b
        self.size = A.shape[1]


class AffineAlgebra(co.UWDAlgebra):
    name = "affine constraints"

    def assemble(self, parts: co.OpenParts) -> AffineSet:
        return AffineSet(parts, self)


class AffineSet(co.Open):
    """An open affine set; its constraints are the leaves' rows, columns glued."""

    @classmethod
    def leaf(cls, space: co.Space, ports: tuple[int, ...], A: np.ndarray,
             b: np.ndarray) -> AffineSet:
        return AffineAlgebra().assemble(co.OpenParts(space, ports, (AffineLeaf(A, b),), ("c",),
                                                     None))

    def system(self) -> tuple[np.ndarray, np.ndarray]:
        """The stacked ``(A, b)`` on this set's coordinates."""
        prog = self.program
        index = prog.gather_index
        rows, rhs = [], []
        for k, leaf in enumerate(prog.leaves):
            block = np.zeros((leaf.A.shape[0], self.n))
            np.add.at(block, (slice(None), index[prog.leaf_slice(k)]), leaf.A)
            rows.append(block)
            rhs.append(leaf.b)
        if not rows:
            return np.zeros((0, self.n)), np.zeros(0)
        return np.vstack(rows), np.concatenate(rhs)


class ForgetfulAlgebra(AffineAlgebra):
    """Broken on purpose: ignores the gluing (every leaf keeps its own columns)."""

    def assemble(self, parts: co.OpenParts) -> AffineSet:
        if parts.index is not None and parts.leaves:
            sizes = [leaf.size for leaf in parts.leaves]
            parts = parts.replace(index=np.arange(sum(sizes)) % max(parts.space.n, 1))
        return AffineSet(parts, self)


def box_label(space: co.Space, exposed: dict[int, str], box: str, v: int, i: int) -> str:
    """The composite label of coordinate ``i`` of variable ``v`` of a box: the junction's
    name (``j`` or ``j[i]``) if the variable is exposed, else ``box.name`` (``box.name[i]``)."""
    shape = space.shapes[v]
    base = exposed[v] if v in exposed else f"{box}.{space.names[v]}"
    return base if shape == () else f"{base}[{i}]"


def junction_names(d: co.UWD, sets: list[AffineSet]) -> dict[str, str]:
    """Each junction's variable name: junctions that one box variable is wired to are one
    variable, named after the first of them in ``d.junctions`` (merged by repeated sweeps)."""
    first = {j: k for k, j in enumerate(d.junctions)}
    name = {j: j for j in d.junctions}
    changed = True
    while changed:
        changed = False
        for b, s in enumerate(sets):
            ports = d.ports(b)
            by_var: dict[int, list[str]] = {}
            for p, v in enumerate(s.port_variables):
                by_var.setdefault(v, []).append(ports[p])
            for js in by_var.values():
                best = min((name[j] for j in js), key=first.__getitem__)
                for j in js:
                    for other, cur in name.items():
                        if cur == name[j] and cur != best:
                            name[other] = best
                            changed = True
    return name


def hand_assembly(d: co.UWD, sets: list[AffineSet], composite: co.Open) -> np.ndarray:
    col = {lab: c for c, lab in enumerate(composite.labels)}
    rows = []
    qual = d.qualified_boxes()
    names = junction_names(d, sets)
    for b, s in enumerate(sets):
        ports = d.ports(b)
        exposed: dict[int, str] = {}
        for p, v in enumerate(s.port_variables):
            exposed.setdefault(v, names[ports[p]])
        (leaf,) = s.leaves
        block = np.zeros((leaf.A.shape[0], composite.n))
        for v in range(len(s.space)):
            for i in range(int(s.space.sizes[v])):
                local = int(s.space.offsets[v]) + i
                block[:, col[box_label(s.space, exposed, qual[b], v, i)]] += leaf.A[:, local]
        rows.append(block)
    return np.vstack(rows) if rows else np.zeros((0, composite.n))


def random_sets(seed: int) -> tuple[co.UWD, list[AffineSet]]:
    rng = np.random.default_rng(seed)
    d = random_diagram(rng)
    sets = []
    for k, box in enumerate(d.boxes):
        shapes = [d.junction_shapes[d.junctions.index(j)] for j in d.ports(k)]
        p, _ = random_problem(rng, shapes, name=f"{box}{k}")
        m = int(rng.integers(1, 4))
        sets.append(AffineSet.leaf(p.space, p.port_variables,
                                   rng.standard_normal((m, p.n)), rng.standard_normal(m)))
    return d, sets


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_user_algebra_composes_like_its_hand_assembly(seed: int) -> None:
    d, sets = random_sets(seed)
    c = co.compose(d, sets)
    assert isinstance(c, AffineSet) and c.algebra == AffineAlgebra()
    A, b = c.system()
    assert np.array_equal(A, hand_assembly(d, sets, c))
    assert np.array_equal(b, np.concatenate([s.leaves[0].b for s in sets]))
    # the composite set is the set of states whose pullback to each box is in that box's set
    x = np.random.default_rng(seed).standard_normal(c.n)
    per_box = np.concatenate([s.leaves[0].A @ x[c.program.gather_index[c.program.leaf_slice(k)]]
                              for k, s in enumerate(sets)])
    assert np.allclose(A @ x, per_box)


def test_user_composites_nest_and_refuse_other_kinds() -> None:
    d, sets = random_sets(7)
    inner = co.compose(d, sets)
    outer_d = co.UWD([("I", list(d.outer))], list(d.outer),
                     shapes={j: d.junction_shapes[d.junctions.index(j)] for j in d.outer})
    nested = co.compose(outer_d, [inner])
    col = {lab: c for c, lab in enumerate(nested.labels)}
    perm = [col[lab if lab.split("[")[0] in set(d.outer) else f"I.{lab}"] for lab in inner.labels]
    assert np.array_equal(nested.system()[0][:, perm], inner.system()[0])
    if d.n_boxes >= 2:
        q = co.OpenProblem(lambda x: 0.0 * x[0], sets[1].space, sets[1].ports)
        with pytest.raises(co.CompositionError, match="different kinds"):
            co.compose(d, [sets[0], q, *sets[2:]])


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_the_hand_assembly_catches_an_algebra_that_forgets_the_gluing(seed: int) -> None:
    d, sets = random_sets(seed)
    bad = [ForgetfulAlgebra().assemble(s.parts) for s in sets]
    c = co.compose(d, bad)
    good = co.compose(d, sets)
    if not np.array_equal(c.program.gather_index, good.program.gather_index):
        assert not np.array_equal(c.system()[0], hand_assembly(d, sets, c))
