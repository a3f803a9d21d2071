"""The README's tour runs as written and says what it claims."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def test_readme_tour_runs(capsys) -> None:
    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # the asserts inside must hold
    from examples.three_quadratics import build, linear_solution

    parts = build()
    exact = dict(zip(parts["composite"].labels, linear_solution(parts), strict=True))
    result = scope["result"]
    assert result.converged
    for label, value in zip(result.labels, result.x, strict=True):
        assert np.isclose(value, exact[label], atol=1e-8)
    assert "make demo" in text and "make test" in text


def test_readme_family_block_runs_and_matches_the_local_engine() -> None:
    import pytest

    pytest.importorskip("jax")
    import catopt as co

    text = (ROOT / "README.md").read_text()
    code = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "BoxFamily" in b][0]
    rng = np.random.default_rng(1)
    B = 40
    M = rng.standard_normal((B, 20, 20))
    builder = co.UWDBuilder()
    for k in range(B):
        builder.box(f"b{k}", [f"j{j}" for j in rng.choice(2 * B, size=5, replace=False)])
    scope: dict = {"co": co, "diagram": builder.build(), "x0": 1.0,
                   "P": np.einsum("bij,bkj->bik", M, M) / 400 + np.eye(20),
                   "a": rng.standard_normal((B, 20))}
    code = code.replace("co.solve(c, x0", "result = co.solve(c, x0")  # keep its result
    exec(compile(code, "README.md", "exec"), scope)
    local = co.solve(scope["c"], 1.0, step=1e-2, steps=5000)
    assert scope["result"].iterations == 5000
    np.testing.assert_allclose(scope["result"].x, local.x, rtol=1e-10, atol=1e-12)
