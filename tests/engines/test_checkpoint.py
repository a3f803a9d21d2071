"""Checkpoints and resume on the local engine: a resumed run reaches the uninterrupted run's
final state exactly; Ctrl-C saves a checkpoint; a different configuration is refused."""

from __future__ import annotations

import numpy as np
import pytest

import catopt as co
from catopt.engines.checkpoint import CHECKPOINT_FILE
from tests.strategies import random_composite


@pytest.fixture
def problem() -> co.OpenProblem:
    inst = random_composite(np.random.default_rng(7), pd=True)
    return co.compose(inst.d, inst.problems)


def _x0(p: co.OpenProblem) -> np.ndarray:
    return np.random.default_rng(1).standard_normal(p.n)


def test_resume_reaches_the_uninterrupted_state(problem, tmp_path) -> None:
    full = co.solve(problem, x0=_x0(problem), step=0.01, steps=60)
    part = co.solve(problem, x0=_x0(problem), step=0.01, steps=25, checkpoint=tmp_path,
                    checkpoint_every=10)
    assert part.iterations == 25 and (tmp_path / CHECKPOINT_FILE).is_file()
    rest = co.solve(problem, x0=None, step=0.01, steps=60, resume=tmp_path)
    assert np.array_equal(rest.x, full.x)
    assert np.array_equal(rest.history, full.history)
    assert rest.iterations == 60


def test_ctrl_c_saves_a_checkpoint_and_resume_continues(problem, tmp_path) -> None:
    full = co.solve(problem, x0=_x0(problem), step=0.01, steps=40)

    def stop(t, x, f, g):
        if t == 17:
            raise KeyboardInterrupt

    with pytest.raises(co.RunInterrupted, match="resume") as info:
        co.solve(problem, x0=_x0(problem), step=0.01, steps=40, callback=stop,
                 checkpoint=tmp_path)
    assert info.value.iteration == 17 and info.value.checkpoint is not None
    rest = co.solve(problem, step=0.01, steps=40, resume=tmp_path)
    assert np.array_equal(rest.x, full.x)
    assert np.array_equal(rest.history, full.history)


def test_ctrl_c_without_checkpoint_says_so(problem) -> None:
    def stop(t, x, f, g):
        if t == 3:
            raise KeyboardInterrupt

    with pytest.raises(co.RunInterrupted, match="no checkpoint was saved"):
        co.solve(problem, x0=_x0(problem), step=0.01, steps=10, callback=stop)


def test_resume_refuses_another_configuration(problem, tmp_path) -> None:
    co.solve(problem, x0=_x0(problem), step=0.01, steps=5, checkpoint=tmp_path)
    with pytest.raises(co.CatoptError, match="step rule differs"):
        co.solve(problem, step=0.02, steps=10, resume=tmp_path)
    other = co.compose(co.relation("(x,) :- f(x)"), [co.OpenProblem(lambda x: x @ x, 1, [0])])
    with pytest.raises(co.CatoptError, match="different problem|problem differs"):
        co.solve(other, step=0.01, steps=10, resume=tmp_path)
    with pytest.raises(co.CatoptError, match="does not exist"):
        co.solve(problem, step=0.01, steps=10, resume=tmp_path / "nowhere")


def test_resume_detects_a_changed_objective(problem, tmp_path) -> None:
    co.solve(problem, x0=_x0(problem), step=0.01, steps=5, checkpoint=tmp_path)
    # same structure and labels, another objective: caught by f(x_t) on the first step
    inst = random_composite(np.random.default_rng(7), pd=True)
    old = inst.problems[0]
    sp = old.space

    def shifted(*a):  # the old objective plus 5, with the old gradient
        x = a[0] if sp.integer else sp.pack(list(a))
        return 5.0 + old.objective(x)

    def grad(*a):
        g = old.gradient(a[0] if sp.integer else sp.pack(list(a)))
        return g if sp.integer else list(sp.unpack(g).values())

    inst.problems[0] = co.OpenProblem(shifted, sp, ports=list(old.ports), name=old.name,
                                      grad=grad)
    changed = co.compose(inst.d, inst.problems)
    with pytest.raises(co.CatoptError, match="objective changed"):
        co.solve(changed, step=0.01, steps=10, resume=tmp_path)
