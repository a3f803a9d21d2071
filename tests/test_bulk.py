"""The builders pause the cyclic garbage collector and always resume it: after a normal
return, after an exception, nested, and not when it was off already. A version that forgets
to resume after an exception fails the same check."""

from __future__ import annotations

import contextlib
import gc

import numpy as np
import pytest

import catopt as co
from catopt.bulk import with_paused_gc


def decorated_resumes(decorator) -> bool:
    """Whether functions decorated with ``decorator`` run with the collector off (also when
    recursing) and leave it on after, when they raise too; and off when it was off."""
    seen = []

    @decorator
    def f(k: int) -> int:
        seen.append(gc.isenabled())
        if k == 0:
            raise ValueError("bottom")
        return f(k - 1)

    with contextlib.suppress(ValueError):
        f(3)
    ok = seen == [False] * 4 and gc.isenabled()
    gc.enable()
    gc.disable()
    try:
        ok = ok and decorator(gc.isenabled)() is False and not gc.isenabled()
    finally:
        gc.enable()
    return ok


def test_with_paused_gc_pauses_and_resumes() -> None:
    assert decorated_resumes(with_paused_gc)


def test_a_decorator_that_does_not_resume_on_error_is_caught() -> None:
    def leaky(fn):
        def wrapper(*args):
            was = gc.isenabled()
            gc.disable()
            out = fn(*args)
            if was:
                gc.enable()
            return out
        return wrapper

    assert not decorated_resumes(leaky)


def test_builders_leave_the_collector_on() -> None:
    fam = co.BoxFamily(lambda X, a: np.sum((X - a) ** 2, 1), 2, [0, 1],
                       data={"a": np.zeros((3, 2))}, grad=lambda X, a: 2 * (X - a))
    d = co.relation("() :- f(x, y), g(y, z), h(z, x)")
    c = co.fuse_families(co.compose(d, fam.problems()))
    co.gradient_flow(c)
    assert gc.isenabled()
    with pytest.raises(co.CatoptError):
        co.compose(d, fam.problems()[:2])
    assert gc.isenabled()
