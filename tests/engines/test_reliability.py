"""Reproducers of the reliability findings, written anew from their descriptions: nothing
silently wrong in a run, its divergence report, or its resume."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest

import catopt as co
from catopt.functor.steps import Armijo


@pytest.fixture
def bowl() -> co.OpenProblem:
    d = co.relation("(a,) :- f(a, b), g(b)")
    f = co.OpenProblem(lambda x: (x[0] - 1.0) ** 2 + (x[0] - x[1]) ** 2, 2, ports=[0, 1])
    g = co.OpenProblem(lambda x: 0.5 * x[0] ** 2, 1, ports=[0])
    return co.compose(d, [f, g])


@pytest.mark.parametrize("schedule, bad", [(lambda t: 0.1 if t < 3 else -0.1, 3),
                                           (lambda t: 0.0, 0),
                                           (lambda t: float("nan") if t == 2 else 0.1, 2)])
def test_a_schedule_giving_a_bad_step_is_refused_at_that_step(bowl, schedule, bad) -> None:
    with pytest.raises(co.CatoptError, match=f"at iteration {bad} must be a positive"):
        co.solve(bowl, step=schedule, steps=10)


def test_armijo_needs_a_backtrack_and_resumes_with_the_same_object(bowl, tmp_path) -> None:
    with pytest.raises(co.CatoptError, match="max_backtracks must be"):
        Armijo(max_backtracks=0)
    rule = Armijo(eta0=1.0)
    co.solve(bowl, step=rule, steps=5, checkpoint=tmp_path)
    assert rule.trials > 0  # its counter moved, and is no part of its fingerprint
    resumed = co.solve(bowl, step=rule, steps=12, resume=tmp_path)
    straight = co.solve(bowl, step=Armijo(eta0=1.0), steps=12)
    np.testing.assert_array_equal(resumed.x, straight.x)


def test_resuming_with_fewer_steps_than_done_is_an_error(bowl, tmp_path) -> None:
    co.solve(bowl, step=0.1, steps=10, checkpoint=tmp_path)
    with pytest.raises(co.CatoptError, match="iteration 10, beyond steps=5"):
        co.solve(bowl, step=0.1, steps=5, resume=tmp_path)


def test_resuming_an_edited_problem_names_its_data(bowl, tmp_path) -> None:
    co.solve(bowl, step=0.1, steps=4, checkpoint=tmp_path)
    d = co.relation("(a,) :- f(a, b), g(b)")
    f = co.OpenProblem(lambda x: (x[0] - 1.5) ** 2 + (x[0] - x[1]) ** 2, 2, ports=[0, 1])
    g = co.OpenProblem(lambda x: 0.5 * x[0] ** 2, 1, ports=[0])
    with pytest.raises(co.CheckpointError, match="problem's data"):
        co.solve(co.compose(d, [f, g]), step=0.1, steps=8, resume=tmp_path)


def test_complex_values_are_refused_not_cut_to_their_real_part() -> None:
    p = co.OpenProblem(lambda x: x[0] + 1j, 1, grad=lambda x: np.ones(1))
    with pytest.raises(co.ObjectiveError, match="complex"):
        p.objective(np.zeros(1))
    q = co.OpenProblem(lambda x: x[0] ** 2, 1, grad=lambda x: np.array([1j]))
    with pytest.raises(co.ObjectiveError, match="complex"):
        q.gradient(np.zeros(1))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("engine", ["local", "jax"])
def test_huge_but_finite_gradients_are_not_called_infinite(engine) -> None:
    """|g| = sqrt(2) 1e200: its square overflows, the norm does not."""
    if engine == "jax":
        pytest.importorskip("jax")
        fam = co.BoxFamily(lambda x, a: a @ x, 2, ports=[0, 1],
                           data={"a": np.full((1, 2), 1e200)}, name="lin", backend="jax")
        p = co.fuse_families(co.compose(co.relation("(x, y) :- f(x, y)"), fam.problems()))
    else:
        p = co.OpenProblem(lambda x: 1e200 * (x[0] + x[1]), 2)
    res = co.solve(p, np.zeros(2), step=1e-300, steps=3, engine=engine)
    assert res.iterations == 3 and np.isfinite(res.grad_norms).all()
    np.testing.assert_allclose(res.grad_norms, np.sqrt(2) * 1e200, rtol=1e-12)


def test_a_huge_objective_at_x0_is_not_reported_as_infinite() -> None:
    p = co.OpenProblem(lambda x: 1e304 + 1e200 * x[0], 1)
    res = co.solve(p, np.zeros(1), step=1e-300, steps=2)
    assert res.history[0] == 1e304


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_reports_the_last_finite_state_and_a_hint_from_where_it_was_stable() -> None:
    """x^4 from x0 = 10 with a huge step: the hint is about the curvature near x0 (12 x^2 =
    1200, so 2/L ~ 1.7e-3), not about the blown-up last state; e.x has a finite objective."""
    p = co.OpenProblem(lambda x: anp.sum(x ** 4), 1)
    with pytest.raises(co.DivergenceError) as info:
        co.solve(p, [10.0], step=0.01, steps=1000)
    e = info.value
    assert np.isfinite(p.objective(e.x)) and np.isfinite(p.gradient(e.x)).all()
    assert "2/L = 0.00167" in e.hint  # L = 1200 at x0: the run rose from its first step
    # companion: the hint's L at the last finite state would be astronomically larger
    last_L = 12 * float(e.x[0]) ** 2
    assert last_L > 1e6


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_reports_are_the_same_on_the_local_and_jax_engines() -> None:
    pytest.importorskip("jax")
    fam = co.BoxFamily(lambda x, a: (x @ x) ** 2 + a @ x, 2, ports=[0],
                       data={"a": np.ones((3, 2))}, name="q", backend="jax")
    p = co.fuse_families(co.compose(co.relation("(x,) :- f(x), g(x), h(x)"),
                                    fam.problems()))
    errs = {}
    for engine in ("local", "jax"):
        with pytest.raises(co.DivergenceError) as info:
            co.solve(p, 3.0, step=0.05, steps=500, engine=engine)
        errs[engine] = info.value
    assert errs["local"].iteration == errs["jax"].iteration
    assert errs["local"].hint == errs["jax"].hint
    np.testing.assert_allclose(errs["local"].x, errs["jax"].x, rtol=1e-12)


def test_limits_are_checked_before_allocating() -> None:
    import time

    t0 = time.perf_counter()
    with pytest.raises(co.LimitError, match="max_variables"):
        co.OpenProblem(lambda x: 0.0, 10**12)  # no 10^12 labels are built first
    with pytest.raises(co.LimitError, match="max_record"):
        co.simulate(co.gradient_flow(co.OpenProblem(lambda x: x @ x, 1000)),
                    np.zeros(1000), 10**9, dt=0.1)
    with pytest.raises(co.LimitError, match="max_workers"):
        co.compile_plan(co.OpenProblem(lambda x: x @ x, 2), 10**6)
    assert time.perf_counter() - t0 < 5


def test_a_huge_chunk_is_held_to_the_run() -> None:
    pytest.importorskip("jax")
    fam = co.BoxFamily(lambda x, a: (x - a) @ (x - a), 2, ports=[0],
                       data={"a": np.ones((2, 2))}, name="q", backend="jax")
    p = co.fuse_families(co.compose(co.relation("(x,) :- f(x), g(x)"), fam.problems()))
    res = co.solve(p, 0.0, step=0.1, steps=5, engine="jax", chunk=10**15)
    assert res.iterations == 5


def test_a_plan_for_many_workers_is_not_quadratic() -> None:
    import time

    b = co.UWDBuilder()
    for i in range(3000):
        b.box(f"b{i}", [f"j{i % 50}", f"k{i}"])
    p = co.compose(b.build(), [co.OpenProblem(lambda x: x @ x, 2, ports=[0, 1],
                                              grad=lambda x: 2 * x)] * 3000)
    with co.limits(max_workers=10**4):
        t0 = time.perf_counter()
        plan = co.compile_plan(p, 1500, method="round_robin")
        assert time.perf_counter() - t0 < 10
    # independent recomputation of the neighbour sets from the agents' coordinates
    for r in (0, 7, 1499):
        mine = set(plan.agents[r].coords[plan.agents[r].shared].tolist())
        for q, common in plan.neighbors[r].items():
            theirs = set(plan.agents[q].coords.tolist())
            assert set(common.tolist()) == mine & theirs


def test_an_unwritable_checkpoint_folder_is_found_before_the_run(bowl, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    seen = []
    with pytest.raises(co.CheckpointError, match="cannot save checkpoints"):
        co.solve(bowl, step=0.1, steps=5, checkpoint=blocker / "ck",
                 callback=lambda t, x, f, g: seen.append(t))
    assert seen == []  # no step was taken
