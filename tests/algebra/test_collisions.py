"""Names that would make two coordinates one, or send a filler to the wrong box, are refused
with the names at fault (reproducers of the reliability findings)."""

from __future__ import annotations

import pytest

import catopt as co
from catopt.backends.z2 import const, var


def test_a_variable_named_like_an_element_of_another_is_refused() -> None:
    with pytest.raises(co.SpaceError, match=r"labels collide: \['a\[0\]'\]"):
        co.OpenProblem(lambda a, b: 0.0, {"a": (2,), "a[0]": ()})
    co.OpenProblem(lambda a, b: 0.0, {"a": (2,), "a[9]": ()})  # no collision: accepted


def test_a_box_named_like_a_qualified_repeated_box_is_refused() -> None:
    with pytest.raises(co.DiagramError, match=r"\['f#0'\] clash"):
        co.UWD([("f", ["x"]), ("f", ["x"]), ("f#0", ["x"])], ["x"])
    co.UWD([("f", ["x"]), ("f#0", ["x"])], ["x"])  # f is not repeated: no f#0 is made


def test_a_junction_named_like_a_private_variable_names_both() -> None:
    p = co.OpenProblem(lambda x: x[0] ** 2 + x[1] ** 2, 2, ports=[0])
    with pytest.raises(co.CompositionError, match=r"junction 'f\.1'.*box 'f'"):
        co.compose(co.UWD([("f", ["f.1"])], ["f.1"]), [p])
    c = co.compose(co.UWD([("g", ["f.1"])], ["f.1"]), [p])  # g.1 is free: accepted
    assert c.labels == ("f.1", "g.1")


@pytest.mark.parametrize("bad", [lambda: const(0.5), lambda: const("1"), lambda: var(0) ** -1,
                                 lambda: var(0) ** 1.5])
def test_z2_refuses_what_is_not_a_bit_or_a_power(bad) -> None:
    with pytest.raises(co.CatoptError):
        bad()
    assert const(3) == const(1) and const(True) == const(1) and var(0) ** 0 == const(1)
