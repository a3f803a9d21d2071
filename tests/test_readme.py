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
    assert scope["result"].converged
    assert np.isclose(scope["result"].x_by_name["x"], -1.089124, atol=1e-6)
    assert "make demo" in text and "make test" in text
