"""Resource limits: huge inputs fail fast with a LimitError naming the limit."""

from __future__ import annotations

import pytest

import catopt as co


def test_limits_context_restores() -> None:
    before = co.get_limits()
    with co.limits(max_boxes=3) as lim:
        assert lim.max_boxes == 3
    assert co.get_limits() == before


@pytest.mark.parametrize(
    "limit, build, match",
    [
        ("max_boxes", lambda: co.relation("() :- a(), b(), c()"), "3 boxes.*max_boxes"),
        ("max_junctions", lambda: co.relation("(x, y, z) :- f(x)"), "3 junctions"),
        ("max_ports", lambda: co.relation("(x,) :- f(x, x)"), "3 ports"),
        ("max_text", lambda: co.UWD.from_json('{"Box": []}'), "diagram JSON has 11 text"),
        ("max_variables", lambda: co.OpenProblem(lambda x: 0.0, 3), "decision space has 3"),
        ("max_variables", lambda: co.relation("(x,) :- f(x)", shapes={"x": (3, 1)}),
         "shape \\(3, 1\\) of junction 'x'"),
    ],
)
def test_each_limit(limit: str, build, match: str) -> None:
    with co.limits(**{limit: 2}), pytest.raises(co.LimitError, match=match):
        build()
    build()  # fine again outside the block


def test_huge_shape_is_refused_before_allocating() -> None:
    with pytest.raises(co.LimitError, match="max_variables"):
        co.OpenProblem(lambda W: 0.0, {"W": (10**6, 10**6)})
    with pytest.raises(co.LimitError):
        co.relation("(x,) :- f(x)", shapes={"x": (2**40, 2**40)})


def test_bad_limit_settings() -> None:
    with pytest.raises(co.CatoptError, match="unknown limit 'max_cats'"):
        co.set_limits(max_cats=3)
    with pytest.raises(co.CatoptError, match="non-negative int"):
        co.set_limits(max_boxes=-1)
