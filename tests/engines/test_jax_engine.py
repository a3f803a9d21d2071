"""``solve(..., engine="jax")`` runs the local engine's recurrence in jitted chunks: the same
iterates, records, stops and errors, checked against the local engine (numpy gather and
bincount) and against closed-form minimizers."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt.engines.jax_step import composite_value_and_grad
from catopt.functor.steps import Armijo, InverseTime

jnp = pytest.importorskip("jax.numpy")


def quadratic_composite(seed: int, boxes: int = 12, n: int = 4, junctions: int = 8,
                        grad: bool = False) -> tuple[co.OpenProblem, np.ndarray, np.ndarray]:
    """A convex composite of JAX quadratic boxes ``x'Px/2 + a'x`` sharing junctions, with
    its dense Hessian and linear term (for the closed-form minimizer)."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((boxes, n, n))
    P = np.einsum("bij,bkj->bik", M, M) / n + np.eye(n)
    a = rng.standard_normal((boxes, n))
    b = co.UWDBuilder()
    for k in range(boxes):
        js = rng.choice(junctions, size=2, replace=False)
        b.box(f"b{k}", [f"j{j}" for j in js])
    fam = co.BoxFamily(lambda x, P, a: 0.5 * x @ P @ x + a @ x, n, ports=[0, 1],
                       data={"P": P, "a": a}, name="q", backend="jax",
                       grad=(lambda x, P, a: P @ x + a) if grad else None)
    c = co.fuse_families(co.compose(b.build(), fam.problems()))
    # the dense Hessian and linear term, by pulling each box back along its gather rows
    H, lin = np.zeros((c.n, c.n)), np.zeros(c.n)
    idx = c.gather_index.reshape(boxes, n)
    for k in range(boxes):
        S = np.zeros((n, c.n))
        S[np.arange(n), idx[k]] = 1.0
        H += S.T @ P[k] @ S
        lin += S.T @ a[k]
    return c, H, lin


def same_run(r_jax: co.SolveResult, r_local: co.SolveResult) -> None:
    assert r_jax.engine == "jax" and r_local.engine == "local"
    assert r_jax.iterations == r_local.iterations
    assert r_jax.converged == r_local.converged
    assert r_jax.message == r_local.message
    np.testing.assert_allclose(r_jax.x, r_local.x, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(r_jax.history, r_local.history, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(r_jax.grad_norms, r_local.grad_norms, rtol=1e-9, atol=1e-12)


@given(seed=st.integers(0, 10_000), chunk=st.sampled_from([1, 2, 3, 7, 64]),
       steps=st.integers(0, 90), use_tol=st.booleans(), grad=st.booleans())
def test_jax_engine_runs_the_local_recurrence(seed, chunk, steps, use_tol, grad) -> None:
    c, H, _ = quadratic_composite(seed, grad=grad)
    eta = 1.0 / np.linalg.eigvalsh(H)[-1]
    x0 = np.random.default_rng(seed).standard_normal(c.n)
    tol = 1e-2 if use_tol else None
    r_local = co.solve(c, x0, step=eta, steps=steps, tol=tol)
    r_jax = co.solve(c, x0, step=eta, steps=steps, tol=tol, engine="jax", chunk=chunk)
    same_run(r_jax, r_local)


def test_jax_engine_reaches_the_closed_form_minimizer() -> None:
    c, H, lin = quadratic_composite(3)
    x_star = np.linalg.solve(H, -lin)
    eta = 1.0 / np.linalg.eigvalsh(H)[-1]
    r = co.solve(c, 0.0, step=eta, steps=20_000, tol=1e-10, engine="jax")
    assert r.converged and r.iterations < 20_000
    np.testing.assert_allclose(r.x, x_star, atol=1e-9)
    assert r.objective == pytest.approx(0.5 * lin @ x_star, rel=1e-12)  # -lin.H^-1.lin/2


def test_scheduled_steps_match_the_local_engine() -> None:
    c, H, _ = quadratic_composite(5)
    eta = 1.0 / np.linalg.eigvalsh(H)[-1]
    rule = InverseTime(eta, 10.0)
    same_run(co.solve(c, 1.0, step=rule, steps=57, engine="jax", chunk=10),
             co.solve(c, 1.0, step=rule, steps=57))


def test_divergence_reports_the_last_finite_state_as_the_local_engine_does() -> None:
    c, H, _ = quadratic_composite(7)
    eta = 3.0 / np.linalg.eigvalsh(H)[-1]  # unstable: grows until the objective overflows
    with pytest.raises(co.DivergenceError) as local:
        co.solve(c, 1.0, step=eta, steps=5000)
    with pytest.raises(co.DivergenceError) as jax_err:
        co.solve(c, 1.0, step=eta, steps=5000, engine="jax", chunk=64)
    assert jax_err.value.iteration == local.value.iteration
    assert np.isfinite(jax_err.value.x).all()
    np.testing.assert_allclose(jax_err.value.x, local.value.x, rtol=1e-9)
    assert str(jax_err.value).splitlines()[0] == str(local.value).splitlines()[0]


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # on purpose
def test_an_overflowing_update_is_caught_at_its_step() -> None:
    # a linear objective with small slopes: the state overflows (at the shared junction,
    # which moves by 3 * 0.1 * eta per step) while the objective is still finite
    fam = co.BoxFamily(lambda x, a: a @ x, 2, ports=[0], data={"a": np.full((3, 2), 0.1)},
                       name="lin", backend="jax")
    c = co.fuse_families(co.compose(co.relation("() :- f(x), g(x), h(x)"), fam.problems()))
    eta = 1e308
    t_over = int(np.ceil(np.finfo(float).max / (0.3 * eta)))  # first state beyond the max
    for chunk in (1, 4, 100):
        with pytest.raises(co.DivergenceError,
                           match=f"state became NaN or infinite at iteration {t_over}\n") as e:
            co.solve(c, 0.0, step=eta, steps=100, engine="jax", chunk=chunk)
        assert e.value.iteration == t_over - 1
        np.testing.assert_allclose(e.value.x[c.space.labels.index("x")],
                                   -0.3 * eta * (t_over - 1), rtol=1e-12)
    with pytest.raises(co.DivergenceError) as local:
        co.solve(c, 0.0, step=eta, steps=100)
    assert local.value.iteration == e.value.iteration
    np.testing.assert_array_equal(e.value.x, local.value.x)


def test_callback_sees_every_step_and_can_stop() -> None:
    c, H, _ = quadratic_composite(11)
    eta = 1.0 / np.linalg.eigvalsh(H)[-1]
    seen: dict[str, list] = {"local": [], "jax": []}

    def make(key: str):
        def cb(t, x, f, gn):
            seen[key].append((t, x.copy(), f))
            return t == 9
        return cb

    r_local = co.solve(c, 0.5, step=eta, steps=40, callback=make("local"))
    r_jax = co.solve(c, 0.5, step=eta, steps=40, callback=make("jax"), engine="jax")
    same_run(r_jax, r_local)
    assert [t for t, _, _ in seen["jax"]] == list(range(10))
    for (_, xl, fl), (_, xj, fj) in zip(seen["local"], seen["jax"], strict=True):
        np.testing.assert_allclose(xj, xl, rtol=1e-12)
        assert fj == pytest.approx(fl, rel=1e-12)


def test_checkpoint_resume_and_ctrl_c(tmp_path) -> None:
    c, H, _ = quadratic_composite(13)
    eta = 1.0 / np.linalg.eigvalsh(H)[-1]
    straight = co.solve(c, 0.3, step=eta, steps=50)
    first = co.solve(c, 0.3, step=eta, steps=23, engine="jax", chunk=8,
                     checkpoint=tmp_path / "a", checkpoint_every=5)
    assert first.iterations == 23
    resumed = co.solve(c, step=eta, steps=50, engine="jax", chunk=8, resume=tmp_path / "a")
    same_run(resumed, straight)
    # a checkpoint of the local engine resumes on the JAX engine, and back
    co.solve(c, 0.3, step=eta, steps=17, checkpoint=tmp_path / "b")
    same_run(co.solve(c, step=eta, steps=50, engine="jax", resume=tmp_path / "b"), straight)

    def ctrl_c(t, x, f, gn):
        if t == 12:
            raise KeyboardInterrupt

    with pytest.raises(co.RunInterrupted) as e:
        co.solve(c, 0.3, step=eta, steps=50, engine="jax", callback=ctrl_c,
                 checkpoint=tmp_path / "c")
    assert e.value.iteration == 12
    same_run(co.solve(c, step=eta, steps=50, engine="jax", resume=tmp_path / "c"), straight)


def test_autograd_families_take_per_box_jax_objectives() -> None:
    rng = np.random.default_rng(2)
    W = rng.standard_normal((6, 3, 3))
    fam = co.BoxFamily(lambda X, W: anp.sum(anp.tanh(anp.einsum("bij,bj->bi", W, X)) ** 2, 1)
                       + anp.sum(X**2, 1), 3, ports=[0], data={"W": W}, name="t")
    c = co.fuse_families(co.compose(
        co.relation("(x,) :- a(x), b(x), c(y), d(y), e(x), f(y)"), fam.problems()))
    with pytest.raises(co.CatoptError, match="family 't' has an autograd objective"):
        co.solve(c, 1.0, step=0.05, steps=10, engine="jax")
    objective = {"t": lambda x, W: jnp.sum(jnp.tanh(W @ x) ** 2) + x @ x}
    same_run(co.solve(c, 1.0, step=0.05, steps=60, engine="jax", objectives=objective),
             co.solve(c, 1.0, step=0.05, steps=60))
    with pytest.raises(co.CatoptError, match="no JAX objective given for family 't'"):
        co.solve(c, 1.0, step=0.05, steps=10, engine="jax", objectives={"u": objective["t"]})


def test_jax_family_on_the_local_engine_equals_the_autograd_family() -> None:
    rng = np.random.default_rng(4)
    P, a = rng.standard_normal((5, 3, 3)), rng.standard_normal((5, 3))
    ag = co.BoxFamily(lambda X, P, a: anp.sum(anp.sin(anp.einsum("bij,bj->bi", P, X)) * a, 1),
                      3, ports=[0, 1], data={"P": P, "a": a})
    jx = co.BoxFamily(lambda x, P, a: jnp.sin(P @ x) @ a, 3, ports=[0, 1],
                      data={"P": P, "a": a}, backend="jax")
    d = co.relation("() :- f(x, y), g(y, z), h(z, x), k(x, x), m(y, w)")
    c_ag = co.fuse_families(co.compose(d, ag.problems()))
    c_jx = co.fuse_families(co.compose(d, jx.problems()))
    y = rng.standard_normal(c_ag.n)
    v1, g1 = c_ag.value_and_grad(y)
    v2, g2 = c_jx.value_and_grad(y)
    assert v2 == pytest.approx(v1, rel=1e-12)
    np.testing.assert_allclose(g2, g1, rtol=1e-12, atol=1e-14)
    # unfused boxes (one vmapped call each) agree too
    v3, g3 = co.compose(d, jx.problems()).value_and_grad(y)
    assert v3 == pytest.approx(v1, rel=1e-12)
    np.testing.assert_allclose(g3, g1, rtol=1e-12, atol=1e-14)


def test_bad_jax_families_and_options_are_refused() -> None:
    with pytest.raises(co.ObjectiveError, match="must return a scalar for one box"):
        co.BoxFamily(lambda x, a: x * a, 2, data={"a": np.ones((3, 2))}, backend="jax")
    with pytest.raises(co.ObjectiveError, match=r"gradient must return shape \(2,\)"):
        co.BoxFamily(lambda x, a: a @ x, 2, data={"a": np.ones((3, 2))}, backend="jax",
                     grad=lambda x, a: jnp.sum(a))
    with pytest.raises(co.ObjectiveError, match="the JAX objective failed"):
        co.BoxFamily(lambda x, a: a @ x, 2, data={"a": np.ones((3, 5))}, backend="jax")
    with pytest.raises(co.ObjectiveError, match="backend must be"):
        co.BoxFamily(lambda x, a: a @ x, 2, data={"a": np.ones((3, 2))}, backend="torch")
    with pytest.raises(co.ObjectiveError, match="data must hold at least one array"):
        co.BoxFamily(lambda X: X[:, 0], 2, data={})
    with pytest.raises(co.ObjectiveError, match="share their first axis"):
        co.BoxFamily(lambda X, s: X[:, 0] * s, 2, data={"s": 2.0})
    with pytest.raises(co.ObjectiveError, match="share their first axis"):
        co.BoxFamily(lambda X, a, b: X @ a, 2, data={"a": np.ones((3, 2)), "b": np.ones(4)})
    c, _, _ = quadratic_composite(1)
    for kw, what in (({"step": Armijo(1.0)}, "natural rule"),
                     ({"workers": 2}, "one process"),
                     ({"chunk": 0}, "chunk must be a positive int"),
                     ({"sync_every": 3}, "applies to engine='mpi' only"),
                     ({"partition": "auto"}, "takes no option 'partition'")):
        kw.setdefault("step", 0.1)
        with pytest.raises(co.EngineError, match=what):
            co.solve(c, 0.0, steps=5, engine="jax", **kw)
    plain = co.compose(co.relation("() :- f(x)"),
                       [co.OpenProblem(lambda x: x @ x, 1, ports=[0])])
    with pytest.raises(co.CatoptError, match="box 'f' is not one"):
        co.solve(plain, 0.0, step=0.1, steps=5, engine="jax")


def test_unfused_composites_are_fused_for_the_jax_path() -> None:
    c, H, _ = quadratic_composite(17)
    fam_boxes = co.compose(c.diagram, list(c.components.values()))
    assert len(fam_boxes.blocks) == 12  # one block per box: not fused
    _, data = composite_value_and_grad(fam_boxes)
    assert len(data["boxes"]) == 1  # the JAX path fused the twelve boxes into one run
    eta = 1.0 / np.linalg.eigvalsh(H)[-1]
    same_run(co.solve(fam_boxes, 0.2, step=eta, steps=30, engine="jax"),
             co.solve(c, 0.2, step=eta, steps=30))
