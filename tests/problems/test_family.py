"""Box families: exactly the same objective and gradient as the equivalent distinct boxes,
fused or not (recomputed independently, box by box)."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import catopt as co


def quad_family(rng: np.random.Generator, N: int, n: int) -> tuple[co.BoxFamily, np.ndarray,
                                                                      np.ndarray]:
    M = rng.standard_normal((N, n, n))
    P = np.einsum("bij,bkj->bik", M, M) / n
    a = rng.standard_normal((N, n))

    def objective(X, P, a):  # one value per box: 1/2 x'Px + a'x + 0.1 sum(x^4)
        return 0.5 * anp.einsum("bi,bij,bj->b", X, P, X) + anp.sum(a * X, 1) + \
            0.1 * anp.sum(X**4, 1)

    return co.BoxFamily(objective, n, ports=[0, 1], data={"P": P, "a": a}, name="q"), P, a


@given(st.integers(0, 2**32 - 1), st.integers(1, 12))
def test_family_equals_distinct_boxes(seed: int, N: int) -> None:
    rng = np.random.default_rng(seed)
    n = 4
    fam, P, a = quad_family(rng, N, n)
    b = co.UWDBuilder()
    for i in range(N):
        b.box(f"box{i}", [f"j{int(rng.integers(N + 1))}", f"j{int(rng.integers(N + 1))}"])
    d = b.build()
    composite = co.compose(d, fam.problems())
    fused = co.fuse_families(composite)
    assert len(fused.blocks) == 1 and composite.labels == fused.labels
    y = rng.standard_normal(composite.n)
    # independent recomputation: each box with its own data, its own gradient by hand
    v_ref, g_ref = 0.0, np.zeros(composite.n)
    for i in range(N):
        idx = composite.gather_index[composite.block_offsets[i]:composite.block_offsets[i + 1]]
        x = y[idx]
        v_ref += 0.5 * x @ P[i] @ x + a[i] @ x + 0.1 * np.sum(x**4)
        np.add.at(g_ref, idx, 0.5 * (P[i] + P[i].T) @ x + a[i] + 0.4 * x**3)
    for p in (composite, fused):
        v, g = p.value_and_grad(y)
        assert v == pytest.approx(v_ref, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-12)


def test_fusing_keeps_other_boxes_and_runs() -> None:
    rng = np.random.default_rng(0)
    fam, _, _ = quad_family(rng, 4, 3)
    other = co.OpenProblem(lambda x: anp.sum(x**2), 2, ports=[0, 1])
    ps = fam.problems()
    d = co.relation("() :- a(x, y), b(y, z), o(z, x), c(x, y), e(y, z)")
    comp = co.compose(d, [ps[0], ps[1], other, ps[2], ps[3]])
    fused = co.fuse_families(comp)
    assert len(fused.blocks) == 3  # run of two, the other box, run of two
    y = rng.standard_normal(comp.n)
    np.testing.assert_allclose(fused.gradient(y), comp.gradient(y), rtol=1e-13)
    np.testing.assert_allclose(co.solve(fused, y, step=0.05, steps=20).x,
                               co.solve(comp, y, step=0.05, steps=20).x, rtol=1e-12)


def test_family_errors() -> None:
    with pytest.raises(co.ObjectiveError, match="share their first axis"):
        co.BoxFamily(lambda X, a, b: X.sum(1), 2, data={"a": np.ones(3), "b": np.ones(4)})
    fam = co.BoxFamily(lambda X, a: X.sum(), 2, data={"a": np.ones(3)}, name="bad")
    with pytest.raises(co.ObjectiveError, match="one value per box"):
        fam.problems()[0].objective(np.ones(2))
    with pytest.raises(co.CompositionError, match="takes an OpenProblem"):
        co.fuse_families(3)  # type: ignore[arg-type]
