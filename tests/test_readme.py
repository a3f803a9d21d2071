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
