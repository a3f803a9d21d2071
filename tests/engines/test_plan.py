"""Execution plans: the index maps recompute the composite gradient, ownership and sharing
agree with a direct recount, and the partitioner cuts few coordinates with balanced cost."""

from __future__ import annotations

import json

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co
from catopt.engines.partition import cut_size, imbalance, partition_blocks
from catopt.engines.plan import compile_plan
from catopt.errors import EngineError
from tests.strategies import composites


def _readers(c: co.OpenProblem, part: np.ndarray) -> list[set[int]]:
    """For every composite coordinate, the workers whose blocks read it (a plain recount)."""
    out: list[set[int]] = [set() for _ in range(c.n)]
    offs = c.block_offsets
    for b in range(len(c.blocks)):
        for s in range(offs[b], offs[b + 1]):
            out[int(c.gather_index[s])].add(int(part[b]))
    return out


@given(composites(), st.integers(1, 4))
def test_plan_maps_recompute_gradient_and_ownership(inst, k) -> None:
    c = co.compose(inst.d, inst.problems)
    plan = compile_plan(c, k)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(c.n)
    # every block on exactly one worker
    assert sorted(np.concatenate([a.blocks for a in plan.agents]).tolist()) == list(
        range(len(c.blocks)))
    # sum over agents of their scatter-adds equals the composite gradient
    g = np.zeros(c.n)
    for a in plan.agents:
        xs = x[a.coords][a.gather]
        gs = np.concatenate([c.blocks[b].value_and_grad(xs[a.offsets[j]:a.offsets[j + 1]])[1]
                             for j, b in enumerate(a.blocks)]) if a.blocks.size else np.zeros(0)
        part = np.bincount(a.gather, weights=gs, minlength=a.n_local)
        g[a.coords] += part
        # off-shared, non-owned coordinates do not exist: what an agent holds it reads or owns
        assert set(a.coords[a.owned].tolist()) <= set(a.coords.tolist())
    np.testing.assert_allclose(g, c.gradient(x), rtol=1e-12, atol=1e-12)
    readers = _readers(c, plan.part)
    assert plan.shared.tolist() == [j for j in range(c.n) if len(readers[j]) > 1]
    assert plan.cut == len(plan.shared)
    owners = np.zeros(c.n, int)
    for a in plan.agents:
        owners[a.coords[a.owned]] += 1
    assert (owners == 1).all()
    for j in range(c.n):
        assert plan.owner[j] in (readers[j] or {0})
    # neighbours are symmetric and list exactly the coordinates two workers both read
    for r in range(k):
        for q, cs in plan.neighbors[r].items():
            assert cs.tolist() == plan.neighbors[q][r].tolist()
            assert cs.tolist() == [j for j in range(c.n) if {r, q} <= readers[j]]


def _clusters(n_clusters: int, per: int) -> co.OpenProblem:
    """``n_clusters`` chains of ``per`` boxes; boxes of one chain share junctions."""
    boxes = []
    for a in range(n_clusters):
        for b in range(per):
            boxes.append((f"c{a}b{b}", [f"j{a}_{b}", f"j{a}_{b + 1}"]))
    d = co.UWD(boxes, [])
    return co.compose(d, [co.OpenProblem(lambda x: anp.sum(x**2), 2, ports=[0, 1])
                          for _ in boxes])


@pytest.mark.parametrize("method", ["auto", "kl", "community"])
def test_partition_separates_clusters(method) -> None:
    c = _clusters(3, 4)
    plan = compile_plan(c, 3, method=method)
    assert plan.cut == 0 and plan.imbalance == pytest.approx(1.0)
    assert plan.messages() == []


def test_partition_beats_round_robin_and_balances_cost() -> None:
    c = _clusters(2, 8)
    idx, off = c.gather_index, c.block_offsets
    costs = np.ones(16)
    costs[:8] = 3.0  # chain 0 is three times as expensive: balance must split it
    part = partition_blocks(idx, off, c.n, 2, costs)
    rr = partition_blocks(idx, off, c.n, 2, costs, method="round_robin")
    assert imbalance(part, costs, 2) <= 1.25
    assert cut_size(part, idx, off, c.n) < cut_size(rr, idx, off, c.n)


def test_plan_prints_and_serializes() -> None:
    c = _clusters(2, 3)
    plan = compile_plan(c, 2, method="contiguous", part=np.array([0, 0, 1, 1, 1, 0]))
    text = str(plan)
    assert "worker 0: c0b0, c0b1, c1b2" in text and "worker 1:" in text
    data = json.loads(plan.to_json())
    assert data["part"] == [0, 0, 1, 1, 1, 0]
    # junctions and messages: what crosses is recounted from the wiring
    crossing = {j["name"] for j in data["junctions"]}
    assert crossing == {"j0_2", "j1_2"}  # c0b1|c0b2 and c1b1|c1b2
    assert sum(m["scalars"] for m in data["messages"]) == 2 * len(crossing)
    again = compile_plan(c, 2, part=data["part"])
    assert again.shared.tolist() == plan.shared.tolist()


def test_plan_rejects_bad_input() -> None:
    c = _clusters(1, 2)
    with pytest.raises(EngineError, match="workers"):
        compile_plan(c, 0)
    with pytest.raises(EngineError, match="part must give a worker"):
        compile_plan(c, 2, part=[0, 5])
    with pytest.raises(EngineError, match="partition method"):
        compile_plan(c, 2, method="metis")
