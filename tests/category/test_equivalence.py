"""The helper the law tests rest on: equality of open things up to relabelling coordinates.

It must accept a problem whose coordinates were only reordered and renamed (and find the
right bijection, checked here by label), and reject a different objective, a different
identification of coordinates, or a different number of coordinates.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import catopt as co
from catopt.category import NotEquivalent, assert_equivalent, equivalent, match_coordinates
from tests.helpers.category import boundaries
from tests.strategies import random_problem, seeds


def relabelled(p: co.OpenProblem) -> tuple[co.OpenProblem, dict[str, str]]:
    """``p`` composed along a one-box UWD whose junctions are listed in reverse: the same
    problem with its coordinates reordered and renamed; also the renaming of variables."""
    names = [f"j{k}" for k in range(len(p.ports))]
    shapes = dict(zip(names, p.port_shapes, strict=True))
    d = co.UWD([("B", names)], names, junctions=names[::-1], shapes=shapes)
    rename = {v: f"j{k}" for k, v in enumerate(p.ports)}
    return co.compose(d, [p]), rename


def variable_of(label: str) -> str:
    return label.split("[")[0]


@given(seeds, boundaries)
def test_a_relabelled_problem_is_equivalent_with_the_right_bijection(seed, ports) -> None:
    p, _ = random_problem(np.random.default_rng(seed), list(ports) + [(2,)])
    q, rename = relabelled(p)
    perm = assert_equivalent(p, q)
    assert sorted(perm.tolist()) == list(range(p.n))
    for j, k in enumerate(perm.tolist()):
        a, b = p.labels[k], q.labels[j]
        var = variable_of(a)
        expected = rename[var] if var in rename else f"B.{var}"
        assert b == expected + a[len(var):]
    # the bijection is also what relates the gradients
    x = np.random.default_rng(1).standard_normal(p.n)
    assert np.allclose(q.gradient(x[perm]), p.gradient(x)[perm])


def test_a_different_objective_is_detected() -> None:
    p = co.OpenProblem(lambda x: x[0] ** 2 + x[1] * x[2], 3, ports=[0, 1])
    q = co.OpenProblem(lambda x: x[0] ** 2 + x[1] * x[2] + 1e-6 * x[2] ** 2, 3, ports=[0, 1])
    with pytest.raises(NotEquivalent, match="objective|gradient"):
        assert_equivalent(p, q)
    assert equivalent(p, co.OpenProblem(lambda x: x[1] * x[2] + x[0] ** 2, 3, ports=[0, 1]))


def test_a_different_identification_is_detected() -> None:
    """The same leaf block with its two ports exchanged exposes other coordinates."""
    p = co.OpenProblem(lambda x: x[0] ** 2 + 3 * x[1], 2, ports=[0, 1])
    q = p.with_parts(ports=(1, 0))
    with pytest.raises(NotEquivalent, match="identifies coordinates differently"):
        match_coordinates(p, q)
    assert equivalent(p, p)


def test_sizes_kinds_and_ports_must_agree() -> None:
    p = co.OpenProblem(lambda x: x[0] ** 2, 2, ports=[0])
    with pytest.raises(NotEquivalent, match="coordinates"):
        assert_equivalent(p, co.OpenProblem(lambda x: x[0] ** 2, 3, ports=[0]))
    with pytest.raises(NotEquivalent, match="port shapes"):
        assert_equivalent(p, co.OpenProblem(lambda x: x[0] ** 2, 2, ports=[0, 1]))
    with pytest.raises(NotEquivalent, match="OpenContinuousSystem"):
        assert_equivalent(p, co.gradient_flow(p))
    assert not equivalent(co.gradient_flow(p), co.gradient_descent(p, 0.1))
