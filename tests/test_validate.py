"""The one validation of arguments: each check accepts what it should and names the argument
in its error otherwise."""

from __future__ import annotations

import numpy as np
import pytest

import catopt as co
from catopt.validate import integer, mapping, number, sequence, vector


@pytest.mark.parametrize("call, match", [
    (lambda: integer(2.5, "k"), "k must be an int"),
    (lambda: integer(True, "k"), "k must be an int"),
    (lambda: integer(-1, "k", minimum=0), "k must be an int >= 0"),
    (lambda: number("x", "eta"), "eta must be a number"),
    (lambda: number(0.0, "eta", positive=True), "eta must be > 0"),
    (lambda: number(np.inf, "eta"), "eta must be"),
    (lambda: sequence("abc", "edges"), "edges must be a sequence"),
    (lambda: mapping([1], "data"), "data must be a mapping"),
    (lambda: vector(["a"], "w"), "w must be a vector of numbers"),
    (lambda: vector([1.0, np.nan], "w"), "w must be finite"),
    (lambda: vector([1.0, 2.0], "w", length=3), "w must be a vector of length 3"),
    (lambda: vector(np.zeros((2, 3)), "w", length=6), r"w must be a vector \(one axis\)"),
])
def test_bad_values_are_named(call, match) -> None:
    with pytest.raises(co.CatoptError, match=match):
        call()


def test_good_values_pass_through() -> None:
    assert integer(np.int64(3), "k", minimum=1) == 3
    assert number(np.float32(0.5), "eta", positive=True) == 0.5
    assert sequence((1, 2), "s") == [1, 2]
    np.testing.assert_array_equal(vector(np.zeros((2, 3)), "w", flatten=True), np.zeros(6))
    np.testing.assert_array_equal(vector([1, 2], "w", length=2), [1.0, 2.0])
    assert vector(3.0, "w").shape == (1,)
