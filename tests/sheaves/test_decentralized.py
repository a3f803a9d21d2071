"""Decentralized GD and gradient tracking on the constant sheaf, against a dense solve; the
graphs, the mixing matrices and the message counts against closed forms and networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catopt import DivergenceError
from catopt.sheaves import SheafError
from catopt.sheaves.decentralized import (
    dgd,
    gradient_tracking,
    mixing_matrix,
    random_connected_graph,
    ring,
)

RING = [(i, (i + 1) % 6) for i in range(6)]
OTHER = [(0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 5), (0, 5)]


def problem(seed: int, n: int = 6, d: int = 3, k: int = 2, mu: float = 1.0, scale: float = 1.0):
    """f_i(s, p_i) = 1/2 |A_i s + B_i p_i - c_i|^2 + mu/(2n) |s|^2 + mu/2 |p_i|^2 (a
    multitask least-squares problem: shared s, private p_i), its minimizer of sum_i f_i by one
    dense solve of the normal equations, and the largest local curvature a copy sees
    (shared block scaled by n: ``lambda_max(D^1/2 H_i D^1/2)``, ``D = diag(n I, I)``)."""
    rng = np.random.default_rng(seed)
    A = scale * rng.standard_normal((n, 5, d))
    B = scale * rng.standard_normal((n, 5, k))
    c = rng.standard_normal((n, 5))
    H = np.zeros((d + n * k, d + n * k))
    r = np.zeros(d + n * k)
    L_loc = 0.0
    for i in range(n):
        M = np.zeros((5, d + n * k))
        M[:, :d], M[:, d + i * k:d + (i + 1) * k] = A[i], B[i]
        H += M.T @ M
        r += M.T @ c[i]
        Mi = np.hstack([A[i], B[i]])
        Hi = Mi.T @ Mi + np.diag([mu / n] * d + [mu] * k)
        Dh = np.diag([np.sqrt(n)] * d + [1.0] * k)
        L_loc = max(L_loc, float(np.linalg.eigvalsh(Dh @ Hi @ Dh)[-1]))
    H += mu * np.eye(d + n * k)
    sol = np.linalg.solve(H, r)

    def grad(i: int):
        def g(s: np.ndarray, p: np.ndarray):
            res = A[i] @ s + B[i] @ p - c[i]
            return A[i].T @ res + mu / n * s, B[i].T @ res + mu * p
        return g

    return [grad(i) for i in range(n)], sol[:d], sol[d:].reshape(n, k), L_loc


def error_to(s_star: np.ndarray, p_star: np.ndarray):
    def err(S: np.ndarray, P) -> float:
        return max(float(np.abs(S - s_star).max()), float(np.abs(np.stack(P) - p_star).max()))
    return err


# -- graphs and mixing matrices ---------------------------------------------------------------

def test_ring_and_random_graph_are_what_networkx_says() -> None:
    for n in (1, 2, 3, 7):
        g = nx.Graph(ring(n))
        g.add_nodes_from(range(n))
        assert nx.is_isomorphic(g, nx.cycle_graph(n)) if n >= 3 else g.number_of_edges() == n - 1
    edges = random_connected_graph(12, 0.2, seed=3)
    g = nx.Graph(edges)
    assert g.number_of_nodes() == 12 and nx.is_connected(g)
    assert len({frozenset(e) for e in edges}) == len(edges)
    assert edges == random_connected_graph(12, 0.2, seed=3)  # seeded
    assert edges != random_connected_graph(12, 0.2, seed=4)


@pytest.mark.parametrize("kind", ["max-degree", "metropolis", "lazy-metropolis"])
@pytest.mark.parametrize("edges", [RING, OTHER])
def test_mixing_matrix_is_doubly_stochastic_on_the_graph(kind: str, edges) -> None:
    W = mixing_matrix(6, edges, kind).toarray()
    assert np.allclose(W, W.T) and np.allclose(W.sum(axis=1), 1) and (W >= 0).all()
    adj = nx.to_numpy_array(nx.Graph(edges), nodelist=range(6)) > 0
    off = ~np.eye(6, dtype=bool)
    assert ((W[off] > 0) == adj[off]).all()  # only neighbours mix, every neighbour does
    ev = np.linalg.eigvalsh(W)
    assert ev[-1] == pytest.approx(1) and ev[-2] < 1 - 1e-9  # connected: one consensus mode
    if kind == "lazy-metropolis":
        assert ev[0] >= -1e-12


def test_metropolis_weights_closed_form() -> None:
    """A star with k leaves plus one leaf-leaf edge: W_uv = 1 / (1 + max(deg u, deg v))."""
    k = 4
    edges = [(0, j) for j in range(1, k + 1)] + [(1, 2)]
    W = mixing_matrix(k + 1, edges, "metropolis").toarray()
    assert W[0, 3] == pytest.approx(1 / (1 + k)) and W[1, 2] == pytest.approx(1 / 3)
    assert W[3, 3] == pytest.approx(1 - 1 / (1 + k))
    assert W[1, 1] == pytest.approx(1 - 1 / (1 + k) - 1 / 3)
    lazy = mixing_matrix(k + 1, edges, "lazy-metropolis").toarray()
    assert np.allclose(lazy, (np.eye(k + 1) + W) / 2)


# -- convergence ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("edges", [RING, OTHER])
def test_gradient_tracking_reaches_the_exact_solution(seed: int, edges) -> None:
    grads, s_star, p_star, _ = problem(seed)
    r = gradient_tracking(grads, edges, np.zeros(3), p0=[np.zeros(2)] * 6, step=0.004,
                          iters=5000)
    assert np.abs(r.S - s_star).max() < 1e-8  # every copy
    assert np.abs(np.stack(r.P) - p_star).max() < 1e-8
    # one round per iteration, 2|E| messages each carrying (s_i, y_i)
    assert r.rounds == 5000 and r.messages == 2 * len(edges) * 5000
    assert r.floats == 2 * len(edges) * 5000 * 2 * 3
    assert r.gradient_calls == 6 * 5001


def test_dgd_with_a_constant_step_stops_short_of_the_solution() -> None:
    """The companion: DGD is gradient tracking without the gradient-difference correction;
    with the same step and iterations its constant-step bias keeps it off the solution."""
    grads, s_star, _, _ = problem(0)
    r = dgd(grads, RING, np.zeros(3), p0=[np.zeros(2)] * 6, step=0.004, iters=5000)
    err = np.abs(r.S - s_star).max()
    assert 1e-5 < err < 0.5
    small = dgd(grads, RING, np.zeros(3), p0=[np.zeros(2)] * 6, step=0.002, iters=10000)
    assert np.abs(small.S - s_star).max() < err / 1.5  # the bias shrinks with the step
    assert r.rounds == 5000 and r.messages == 2 * 6 * 5000 and r.floats == 2 * 6 * 5000 * 3


@pytest.mark.parametrize("n", [3, 5, 8])
def test_messages_per_round_closed_form(n: int) -> None:
    """Ring: 2n messages per round; any graph: 2|E| (networkx counts the edges)."""
    grads, *_ = problem(0, n=n, d=2, k=1)
    for edges, expected in ((ring(n), 2 * n),
                            (random_connected_graph(n, 0.5, seed=n),
                             2 * nx.Graph(random_connected_graph(n, 0.5, seed=n))
                             .number_of_edges())):
        for run in (dgd, gradient_tracking):
            r = run(grads, edges, np.zeros(2), p0=[np.zeros(1)] * n, step=1e-3, iters=7)
            assert r.rounds == 7 and r.messages == 7 * expected


@st.composite
def connected_graphs(draw) -> tuple[int, list[tuple[int, int]]]:
    """A random spanning tree (each vertex joins an earlier one) plus random extra edges."""
    n = draw(st.integers(2, 7))
    edges = {(draw(st.integers(0, v - 1)), v) for v in range(1, n)}
    pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
    extra = draw(st.lists(st.sampled_from(pairs), max_size=n))
    return n, sorted(edges | set(extra))


@settings(max_examples=15, deadline=None)
@given(graph=connected_graphs(), seed=st.integers(0, 2**16))
def test_gradient_tracking_converges_to_the_centralized_solution(graph, seed: int) -> None:
    """On random connected graphs, with the step 1 / L_loc (the largest curvature a copy's
    update sees) and lazy Metropolis weights: every copy reaches the dense solve."""
    n, edges = graph
    grads, s_star, p_star, L_loc = problem(seed, n=n, d=2, k=1, scale=0.5)
    err = error_to(s_star, p_star)
    r = gradient_tracking(grads, edges, np.zeros(2), p0=[np.zeros(1)] * n, step=1 / L_loc,
                          iters=20000, mixing="lazy-metropolis", monitor=err, tol=1e-9)
    assert err(r.S, r.P) <= 1e-9, (r.iterations, r.history[-1])
    assert r.messages == 2 * nx.Graph(edges).number_of_edges() * r.iterations


# -- bad input --------------------------------------------------------------------------------

def test_bad_input_is_named() -> None:
    grads, *_ = problem(0)
    with pytest.raises(SheafError, match="edge"):
        dgd(grads, [(0, 9)], np.zeros(3), step=0.1, iters=1)
    with pytest.raises(SheafError, match="self-loop"):
        dgd(grads, [(0, 0)], np.zeros(3), step=0.1, iters=1)
    with pytest.raises(SheafError, match="twice"):
        dgd(grads, [(0, 1), (1, 0)], np.zeros(3), step=0.1, iters=1)
    with pytest.raises(SheafError, match="step"):
        gradient_tracking(grads, RING, np.zeros(3), step=-1.0, iters=1)
    with pytest.raises(SheafError, match="callable"):
        dgd([1, 2], [(0, 1)], np.zeros(3), step=0.1, iters=1)
    with pytest.raises(SheafError, match="kind"):
        mixing_matrix(6, RING, "uniform")
    with pytest.raises(SheafError, match="tol"):
        dgd(grads, RING, np.zeros(3), step=0.1, iters=1, tol=1e-3)
    with pytest.raises(SheafError, match="p0"):
        dgd(grads, RING, np.zeros(3), p0=[np.zeros(2)], step=0.1, iters=1)
    with pytest.raises(SheafError, match="p must"):
        random_connected_graph(5, 0.0)
    with pytest.raises(SheafError, match="raise p"):
        random_connected_graph(30, 0.01, max_tries=3)


def test_a_too_long_step_raises_divergence_with_the_last_finite_copies() -> None:
    grads, *_ = problem(0)
    with np.errstate(all="ignore"), pytest.raises(DivergenceError) as info:
        gradient_tracking(grads, RING, np.zeros(3), p0=[np.zeros(2)] * 6, step=1.0,
                          iters=5000)
    assert np.isfinite(info.value.x).all() and "step" in str(info.value)


def _dense_iteration(grads, edges, S, Y, G, GP, P, step, mixing, tracking):
    """One iteration of the method on the whole matrices (the definition, with W dense)."""
    n = len(grads)
    W = mixing_matrix(n, edges, mixing).toarray()
    if not tracking:
        g = [grads[i](S[i], P[i]) for i in range(n)]
        return (W @ S - step * n * np.array([a for a, _ in g]),
                [P[i] - step * g[i][1] for i in range(n)])
    S_new = W @ S - step * Y
    P_new = [P[i] - step * GP[i] for i in range(n)]
    g = [grads[i](S_new[i], P_new[i]) for i in range(n)]
    return S_new, P_new, W @ Y + n * (np.array([a for a, _ in g]) - G)


def _system_steps(grads, edges, s0, p0, step, mixing, tracking, k):
    from catopt.sheaves.decentralized import decentralized_system

    c, x = decentralized_system(grads, edges, s0, p0=p0, step=step, mixing=mixing,
                                method="gradient-tracking" if tracking else "dgd")
    for _ in range(k):
        x = c.update(x)
    n = len(grads)
    parts = c.unpack(x)
    Y = np.array([parts[f"y{i}"] for i in range(n)]) if tracking else None
    return np.array([parts[f"s{i}"] for i in range(n)]), [parts[f"agent{i}.p"]
                                                          for i in range(n)], Y


@given(st.integers(0, 2**32 - 1), st.booleans(), st.sampled_from(["max-degree",
                                                                   "lazy-metropolis"]))
@settings(max_examples=15, deadline=None)
def test_the_composite_system_is_one_iteration_of_the_method(seed: int, tracking: bool,
                                                            mixing: str) -> None:
    """The agents composed along the communication graph (each reads its neighbours'
    junctions, changes only its own) update exactly as the method on the whole matrices."""
    grads, *_ = problem(seed % 1000)
    edges = random_connected_graph(6, 0.5, seed)
    rng = np.random.default_rng(seed)
    s0, p0 = rng.standard_normal((6, 3)), [rng.standard_normal(2) for _ in range(6)]
    S, P = s0.copy(), [p.copy() for p in p0]
    g = [grads[i](S[i], P[i]) for i in range(6)]
    G, GP = np.array([a for a, _ in g]), [b for _, b in g]
    Y = 6 * G
    for _ in range(3):
        if tracking:
            S, P, Y_new = _dense_iteration(grads, edges, S, Y, G, GP, P, 0.01, mixing, True)
            g = [grads[i](S[i], P[i]) for i in range(6)]
            G, GP, Y = np.array([a for a, _ in g]), [b for _, b in g], Y_new
        else:
            S, P = _dense_iteration(grads, edges, S, None, None, None, P, 0.01, mixing, False)
    S_sys, P_sys, Y_sys = _system_steps(grads, edges, s0, p0, 0.01, mixing, tracking, 3)
    np.testing.assert_allclose(S_sys, S, atol=1e-12)
    np.testing.assert_allclose(np.array(P_sys), np.array(P), atol=1e-12)
    if tracking:
        np.testing.assert_allclose(Y_sys, Y, atol=1e-12)


def test_the_same_check_catches_agents_wired_to_the_wrong_neighbours() -> None:
    grads, *_ = problem(3)
    s0, p0 = np.random.default_rng(0).standard_normal((6, 3)), [np.zeros(2)] * 6
    S, P = _dense_iteration(grads, RING, s0, None, None, None, p0, 0.01, "max-degree", False)
    other = [(0, 2), (2, 1), (1, 3), (3, 5), (5, 4), (4, 0)]  # also a ring, other neighbours
    S_sys, _, _ = _system_steps(grads, other, s0, p0, 0.01, "max-degree", False, 1)
    S_ok, _, _ = _system_steps(grads, RING, s0, p0, 0.01, "max-degree", False, 1)
    np.testing.assert_allclose(S_ok, S, atol=1e-12)
    assert np.abs(S_sys - S).max() > 1e-4


@pytest.mark.mpi
@pytest.mark.slow
def test_gradient_tracking_on_two_mpi_ranks_equals_local() -> None:
    """Each rank runs its agents; the neighbours' junctions are the messages of a round."""
    pytest.importorskip("mpi4py")
    grads, *_ = problem(5)
    kw = dict(p0=[np.zeros(2)] * 6, step=0.02, iters=40, mixing="lazy-metropolis")
    local = gradient_tracking(grads, OTHER, np.zeros(3), **kw)
    remote = gradient_tracking(grads, OTHER, np.zeros(3), engine="mpi", workers=2, **kw)
    np.testing.assert_allclose(remote.S, local.S, atol=1e-12)
    np.testing.assert_allclose(np.array(remote.P), np.array(local.P), atol=1e-12)
    assert remote.messages == local.messages == 2 * len(OTHER) * 40


def test_gradient_tracking_checkpoints_and_resumes_bit_for_bit(tmp_path) -> None:
    grads, *_ = problem(2)
    kw = dict(p0=[np.zeros(2)] * 6, step=0.02, mixing="lazy-metropolis")
    full = gradient_tracking(grads, OTHER, np.zeros(3), iters=60, **kw)
    gradient_tracking(grads, OTHER, np.zeros(3), iters=25, checkpoint=tmp_path, **kw)
    resumed = gradient_tracking(grads, OTHER, np.zeros(3), iters=60, resume=tmp_path, **kw)
    np.testing.assert_array_equal(resumed.S, full.S)
    np.testing.assert_array_equal(np.array(resumed.P), np.array(full.P))
    assert resumed.iterations == full.iterations == 60


def _zero_grad(s, p):
    return np.zeros_like(s), np.zeros_like(p)


# (keyword arguments changed from a good call of dgd/gradient_tracking, the message's regex)
BAD_CALLS = [
    ({"s0": "abc"}, r"s0 must be one point"),
    ({"s0": None}, r"s0 must be one point"),
    ({"s0": []}, r"s0 must be one point .* got shape \(0,\)"),
    ({"s0": 0.0}, r"s0 must be one point .* got shape \(\)"),
    ({"s0": np.zeros((2, 2))}, r"s0 must be one point .* or 3 rows .* got shape \(2, 2\)"),
    ({"s0": np.zeros((3, 0))}, r"s0 must be one point"),
    ({"s0": [0.0, np.nan]}, r"s0 must be finite"),
    ({"p0": ["a", "b", "c"]}, r"p0\[0\] must be a vector of numbers"),
    ({"p0": 5}, r"p0 must be None or a sequence of 3 vectors"),
    ({"p0": [[0.0], [np.inf], [0.0]]}, r"p0\[1\] must be finite"),
    ({"grads": _zero_grad}, r"grads must be a sequence of callables"),
    ({"grads": [_zero_grad, _zero_grad, lambda s, p: 1.0]},
     r"grads\[2\] must return a pair \(gradient with respect to s"),
    ({"grads": [_zero_grad, _zero_grad, lambda s, p: (s, p, s)]}, r"grads\[2\] must return"),
    ({"grads": [_zero_grad, _zero_grad, lambda s, p: ("a", p)]}, r"grads\[2\] must return"),
    ({"edges": None}, r"edges must be a sequence of pairs"),
    ({"edges": 3}, r"edges must be a sequence of pairs"),
    ({"step": True}, r"step must be a number"),
    ({"step": 0.0}, r"step must be > 0"),
    ({"iters": -1}, r"iters must be an int >= 0"),
    ({"iters": 2.5}, r"iters must be an int"),
    ({"tol": "x", "monitor": lambda S, P: 0.0}, r"tol must be a number"),
]


@pytest.mark.parametrize("method", [dgd, gradient_tracking])
@pytest.mark.parametrize("change, match", BAD_CALLS)
def test_bad_arguments_are_named_before_any_iteration(method, change, match) -> None:
    kw = {"grads": [_zero_grad] * 3, "edges": [(0, 1), (1, 2)], "s0": np.zeros(2),
          "p0": [np.zeros(1)] * 3, "step": 0.1, "iters": 3, **change}
    with pytest.raises(SheafError, match=match):
        method(kw.pop("grads"), kw.pop("edges"), kw.pop("s0"), **kw)


def test_s0_rows_and_a_numpy_step_are_taken() -> None:
    """``n`` rows are the agents' own starting copies (no gradient: plain mixing, which keeps
    the average and reaches it)."""
    S0 = np.array([[0.0, 3.0], [3.0, 0.0], [6.0, 3.0]])
    r = dgd([_zero_grad] * 3, [(0, 1), (1, 2)], S0, step=np.int64(1), iters=np.int64(400))
    np.testing.assert_allclose(r.S, np.tile(S0.mean(axis=0), (3, 1)), atol=1e-9)
