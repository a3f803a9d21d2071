"""Random morphisms for the law tests, and ``holds``: whether a law holds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

import catopt as co
from catopt.category import Morphism, equivalent
from catopt.problems.blocks import ObjectiveBlock
from tests.strategies import SHAPES, random_problem

boundaries = st.lists(st.sampled_from(SHAPES), min_size=0, max_size=2).map(tuple)


def morphism(rng: np.random.Generator, dom, cod, name: str) -> Morphism:
    p, _ = random_problem(rng, list(dom) + list(cod), name=name)
    return Morphism(p, len(dom), name=name)


def scaled(m: Morphism, c: float) -> Morphism:
    """``m`` with its objective multiplied by ``c`` (used to build broken operators)."""
    blocks = [
        ObjectiveBlock(b.size, lambda x, b=b: c * b.value(x),
                       lambda x, b=b: tuple(c * v for v in b.value_and_grad(x)))
        for b in m.thing.blocks
    ]
    t = m.thing
    thing = t.with_parts(leaves=tuple(blocks), index=t.gather_index)
    return Morphism(thing, len(m.dom), name=f"{c}*{m.expr}")


def holds(lhs: Callable[[], Morphism], rhs: Callable[[], Morphism]) -> bool:
    """Whether the law ``lhs == rhs`` holds (an ill-typed side counts as a failure)."""
    try:
        return equivalent(lhs(), rhs())
    except co.CatoptError:
        return False
