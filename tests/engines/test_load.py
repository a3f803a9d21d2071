"""Load: a long run does not grow memory, and a 10^4-box composite stays within its bound.

The bound we state (docs): composing and running a composite costs at most 4 KB of Python
memory per box plus 200 bytes per variable; measured about 2.3 KB per box.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import catopt as co


def _ring(n_boxes: int) -> co.OpenProblem:
    """n boxes on a ring, each a manual-gradient quadratic sharing one junction per side."""
    b = co.UWDBuilder()
    for i in range(n_boxes):
        b.box(f"b{i}", [f"j{i}", f"j{(i + 1) % n_boxes}"])
    p = co.OpenProblem(lambda x: float(x @ x), 4, ports=[0, 1], grad=lambda x: 2 * x)
    return co.compose(b.build(), [p] * n_boxes)


@pytest.mark.slow
def test_soak_100k_steps_no_memory_growth() -> None:
    c = _ring(3)
    system = co.gradient_descent(c, 1e-3)
    marks: dict[int, int] = {}
    tracemalloc.start()
    try:
        # simulate preallocates its records: after warm-up memory must not grow at all
        co.simulate(system, np.ones(c.n), 1000, record_every=1000)
        base = tracemalloc.get_traced_memory()[0]
        tr = co.simulate(system, np.ones(c.n), 100_000, record_every=100_000)
        marks[0] = tracemalloc.get_traced_memory()[0]
        # solve keeps the objective and gradient-norm histories: growth is just those
        seen = {}

        def cb(t: int, x: np.ndarray, f: float, g: float) -> None:
            if t in (20_000, 100_000 - 1):
                seen[t] = tracemalloc.get_traced_memory()[0]

        co.solve(c, x0=1.0, step=1e-3, steps=100_000, callback=cb)
    finally:
        tracemalloc.stop()
    assert tr.iterations[-1] == 100_000
    # the simulate result holds 100001 objective values (800 KB); nothing else may stay
    assert marks[0] - base < 100_001 * 8 + 64_000
    history_bytes = 2 * 80_000 * 8 * 4  # two histories; generous per-entry allowance
    assert seen[100_000 - 1] - seen[20_000] < history_bytes


@pytest.mark.slow
def test_ten_thousand_boxes_within_stated_memory_bound() -> None:
    tracemalloc.start()
    try:
        c = _ring(10_000)
        r = co.solve(c, x0=1.0, step=0.1, steps=20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert c.n == 30_000
    # a junction is shared by two boxes (gradient 4x, factor 0.6); private coordinates 0.8
    np.testing.assert_allclose(r.x[:10_000], 0.6**20, rtol=1e-12)
    np.testing.assert_allclose(r.x[10_000:], 0.8**20, rtol=1e-12)
    assert peak < 10_000 * 4096 + c.n * 200
