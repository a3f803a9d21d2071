"""A bounded fuzz campaign over the public Python API: random bad (and some good) arguments
to every entry point; whatever happens, only a CatoptError may escape, never a TypeError,
ValueError, IndexError or a numpy error from deep inside.

Counts of this campaign are in docs/reliability.md; ``CATOPT_FUZZ_EXAMPLES`` raises them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import catopt as co
from catopt.backends.z2 import var
from catopt.category import copy, identity, merge
from catopt.functor.adam import adam
from catopt.functor.boolean import z2_box
from catopt.functor.momentum import momentum
from catopt.functor.steps import Armijo, InverseTime, LogStep
from catopt.wiring import from_json

EXAMPLES = int(os.environ.get("CATOPT_FUZZ_EXAMPLES", "100"))

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.integers(10**20, 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.complex_numbers(max_magnitude=1e3),
    st.text(max_size=12), st.binary(max_size=8),
    st.lists(st.integers(-3, 5), max_size=4), st.lists(st.floats(-2, 2), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(-2, 3), max_size=3),
    st.tuples(st.integers(-2, 4), st.integers(-2, 4)),
    st.just(object()), st.just(np.array([[1.0, 2.0]])), st.just(np.array(["a"])),
    st.just(lambda *a, **k: 0.0), st.just(lambda *a, **k: "x"), st.just(lambda *a: 1 / 0),
)


def _few(v: Any) -> Any:
    """A count drawn as junk, held small when it is a valid one: a fuzz case must stay fast
    (a million steps of a valid run is no bad input)."""
    if isinstance(v, int) and not isinstance(v, bool) and v > 50:
        return 50 + v % 7
    return v


def _problem() -> co.OpenProblem:
    return co.OpenProblem(lambda x: x @ x, 2, ports=[0], grad=lambda x: 2 * x, name="p")


def _composite() -> co.OpenProblem:
    d = co.relation("(a,) :- f(a, b), g(b)")
    return co.compose(d, [co.OpenProblem(lambda x: x @ x, 2, ports=[0, 1], grad=lambda x: 2 * x),
                          co.OpenProblem(lambda x: x @ x, 1, ports=[0], grad=lambda x: 2 * x)])


def _built(name: Any, junctions: Any) -> co.UWD:
    b = co.UWDBuilder()
    b.box(name, junctions)
    return b.build()


#: entry point name -> (call, how many junk arguments it takes)
TARGETS: dict[str, tuple[Callable[..., Any], int]] = {
    "relation": (lambda a: co.relation(a), 1),
    "relation+shapes": (lambda a: co.relation("(x,) :- f(x, y)", shapes=a), 1),
    "UWD": (lambda a, b, c: co.UWD(a, b, junctions=c), 3),
    "UWD shapes": (lambda a: co.UWD([("f", ["x"])], ["x"], shapes=a), 1),
    "UWDBuilder.box": (lambda a, b: _built(a, b), 2),
    "OpenProblem": (lambda a, b, c: co.OpenProblem(a, b, c), 3),
    "OpenProblem grad": (lambda a, b: co.OpenProblem(lambda x: x @ x, a, grad=b).gradient(
        np.zeros(2)), 2),
    "Space.from_spec": (lambda a: co.Space.from_spec(a), 1),
    "objective": (lambda a: _problem().objective(a), 1),
    "gradient": (lambda a: _problem().gradient(a), 1),
    "pack": (lambda a: co.OpenProblem(lambda W: 0.0, {"W": (2,)}).pack(a), 1),
    "unpack": (lambda a: _problem().unpack(a), 1),
    "with_ports": (lambda a: _problem().with_ports(a), 1),
    "compose": (lambda a: co.compose(co.relation("(a,) :- f(a)"), a), 1),
    "compose d": (lambda a: co.compose(a, [_problem()]), 1),
    "solve": (lambda a, b, c: co.solve(_composite(), a, step=b, steps=_few(c)), 3),
    "solve tol": (lambda a, b: co.solve(_composite(), step=0.1, steps=3, tol=a, engine=b), 2),
    "solve opts": (lambda a, b: co.solve(_composite(), step=0.1, steps=3, workers=a,
                                         checkpoint_every=b), 2),
    "solve callback": (lambda a: co.solve(_composite(), step=0.1, steps=3, callback=a), 1),
    "solve progress": (lambda a: co.solve(_composite(), step=0.1, steps=3, progress=a), 1),
    "simulate": (lambda a, b, c: co.simulate(co.gradient_flow(_composite()), a, _few(b),
                                             dt=c), 3),
    "simulate opts": (lambda a, b: co.simulate(co.gradient_descent(_composite(), 0.1),
                                               np.zeros(2), 3, method=a, record_every=_few(b)),
                      2),
    "gradient_descent": (lambda a: co.gradient_descent(_composite(), a), 1),
    "gradient_flow": (lambda a: co.gradient_flow(a), 1),
    "euler": (lambda a, b: co.euler(a, b), 2),
    "BoxFamily": (lambda a, b, c: co.BoxFamily(a, b, data=c), 3),
    "BoxFamily data": (lambda a: co.BoxFamily(lambda X, a: X.sum(1), 2, data={"a": a}), 1),
    "compile_plan": (lambda a, b: co.compile_plan(_composite(), a, method=b), 2),
    "compile_plan costs": (lambda a: co.compile_plan(_composite(), 2, costs=a), 1),
    "set_limits": (lambda a: co.limits(max_boxes=a).__enter__(), 1),
    "copy": (lambda a, b, c: copy(a, _few(b), kind=c), 3),
    "identity": (lambda a: identity(_few(a)), 1),
    "merge": (lambda a, b: merge(a, _few(b)), 2),
    "Morphism": (lambda a, b: co.Morphism(a, b), 2),
    "Morphism n_dom": (lambda a: co.Morphism(_problem(), a), 1),
    "Constant": (lambda a: co.Constant(a), 1),
    "InverseTime": (lambda a, b: InverseTime(a, b), 2),
    "LogStep": (lambda a, b: LogStep(a, b), 2),
    "Armijo": (lambda a, b, c: Armijo(a, b, c), 3),
    "Armijo backtracks": (lambda a: Armijo(max_backtracks=a), 1),
    "momentum": (lambda a, b: momentum(_composite(), a, b).update(np.zeros(4)), 2),
    "adam": (lambda a, b: adam(_composite(), a, b), 2),
    "from_json": (lambda a: from_json(a), 1),
    "z2_box": (lambda a, b, c: z2_box([var(0)], a, b, ports=c), 3),
    "solve_z2": (lambda a, b: co.solve_z2(z2_box([var(0)], [1], 1), a, _few(b)), 2),
    "estimate_curvature": (lambda a: co.estimate_curvature(_composite(), a), 1),
    "result index": (lambda a: co.solve(_composite(), step=0.1, steps=1)[a], 1),
}

#: exceptions besides CatoptError that a call may raise by design
ALLOWED: dict[str, tuple[type[BaseException], ...]] = {
    "result index": (KeyError,),  # result["name"] reads like a mapping, as scipy's does
}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_only_catopt_errors_escape(name: str) -> None:
    call, arity = TARGETS[name]

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(*([junk] * arity)))
    def run(args: tuple[Any, ...]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                call(*args)
            except co.CatoptError:
                pass
            except ALLOWED.get(name, ()):
                pass

    run()
