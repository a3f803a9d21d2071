"""The decentralized comparison on the least-squares multitask problem: gradient tracking
reaches the exact-sharing solution (an independent least-squares solve) to 1e-8 on a ring and
on a random graph; DGD, the same iteration without the gradient-difference correction, does
not; the message counts follow their closed forms."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

pytest.importorskip("scipy")

from examples import decentralized_multitask as dm  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("decentralized")
    res = dm.main(["--quick", "--outdir", str(out)])["results"][0]
    res["outdir"] = out
    return res


def rows(res: dict, method: str) -> list[dict]:
    return [r for r in res["rows"] if r["method"] == method]


def test_gradient_tracking_reaches_the_exact_sharing_solution(run: dict) -> None:
    (exact,) = rows(run, "exact sharing (catopt solve)")
    tracking = rows(run, "gradient tracking")
    assert [r["graph"].split()[0] for r in tracking] == ["ring", "random"]
    assert exact[1e-8] is not None
    S0, P0 = exact["state"]
    scale = np.abs(np.hstack([S0, np.stack(P0)])).max()
    for r in tracking:
        assert r[1e-4] is not None and r[1e-8] is not None, r["graph"]
        assert r["final"] <= 1e-8
        S, P = r["state"]
        # every copy of W0 and every private w_i, against catopt's exact sharing
        assert np.abs(S - S0).max() <= 1e-8 * scale and np.abs(np.stack(P) - np.stack(P0)).max() \
            <= 1e-8 * scale
        assert r["consensus"] <= 1e-8 * scale


def test_dgd_is_caught_short_on_the_same_runs(run: dict) -> None:
    """The broken companion: without the gradient-difference correction (DGD) the copies
    plateau far from the solution with the same step and at least as many iterations."""
    for r in rows(run, "DGD"):
        assert r[1e-8] is None and r[1e-4] is None
        assert r["plateau"] and r["final"] > 1e-3


def test_the_least_squares_optimum_is_the_composites_minimizer() -> None:
    """Independent route: the composite's gradient is affine, so its Hessian is read off
    gradient differences and the normal equations solved; lstsq on the stacked design must
    agree, and so must L and mu (the Hessian's extreme eigenvalues)."""
    data = dm.linear_tasks(np.random.default_rng(5), 3)
    n, d = len(data), data[0][0].shape[1]
    problem = dm.hard_sharing([dm.task_problem(X, y, n, f"task{i}")
                               for i, (X, y) in enumerate(data)], d, 1)
    g0 = problem.gradient(np.zeros(problem.n))
    H = np.column_stack([problem.gradient(e) - g0 for e in np.eye(problem.n)])
    z = np.linalg.solve((H + H.T) / 2, -g0)
    parts = problem.unpack(z)
    s_star, P_star, L, mu = dm.exact_optimum(data)
    assert np.allclose(parts["W0"][:, 0], s_star, atol=1e-10)
    assert np.allclose(np.stack([parts[f"task{i}.w"] for i in range(n)]), P_star, atol=1e-10)
    ev = np.linalg.eigvalsh((H + H.T) / 2)
    assert L == pytest.approx(ev[-1], rel=1e-9) and mu == pytest.approx(ev[0], rel=1e-9)


def test_counts_follow_the_closed_forms(run: dict) -> None:
    n, d = run["n"], dm.D_FEAT
    edges = {"ring": n if n >= 3 else 1,
             "random": nx.Graph(run["graphs"]["random"]).number_of_edges()}
    assert nx.is_connected(nx.Graph(run["graphs"]["random"]))
    for r in run["rows"]:
        rounds, messages, floats, grads = r["per_iteration"]
        if r["method"].startswith("exact"):
            assert (rounds, messages, floats, grads) == (1, 2 * n, 2 * n * d, n)
            continue
        m = 2 * edges[r["graph"].split()[0]]  # ring: 2n; any graph: 2|E|
        width = 2 * d if r["method"] == "gradient tracking" else d
        assert (rounds, messages, floats, grads) == (1, m, m * width, n)
        if r[1e-8] is not None:
            t = r[1e-8]["iterations"]
            assert r[1e-8]["messages"] == m * t and r[1e-8]["rounds"] == t
            assert r[1e-8]["gradient_calls"] == n * t + n  # y_0 = n g(s_0) costs one call each


def test_the_step_rule_and_the_figure(run: dict) -> None:
    """``L_loc`` recomputed from the agents' gradients: each is affine, so its Jacobian is
    read off differences, and a copy's update (shared block stepped ``N`` times longer) has
    curvature ``lambda_max(D^1/2 J D^1/2)``, ``D = diag(N I, I)``."""
    data = dm.linear_tasks(np.random.default_rng(7), 5)
    n, d = len(data), dm.D_FEAT
    Dh = np.sqrt(np.r_[np.full(d, float(n)), np.ones(d)])
    worst = 0.0
    for g in dm.local_grads(data):
        def flat(z, g=g):
            return np.concatenate(g(z[:d], z[d:]))
        J = np.column_stack([flat(e) - flat(np.zeros(2 * d)) for e in np.eye(2 * d)])
        worst = max(worst, float(np.linalg.eigvalsh(Dh[:, None] * J * Dh[None, :])[-1]))
    assert dm.local_curvature(data) == pytest.approx(worst, rel=1e-10)
    assert run["alpha"] == pytest.approx(1 / run["L_loc"])
    assert run["grad_mismatch"] < 1e-12
    assert (Path(run["outdir"]) / "decentralized_multitask.png").stat().st_size > 10_000
