"""The code blocks of docs/decomposition.md run, and print what the page says they print."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "decomposition.md"


def test_decomposition_page_examples_run(tmp_path: Path, monkeypatch) -> None:
    if shutil.which("dot") is None:
        pytest.skip("the flow drawing needs graphviz's dot")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        for b in blocks:
            exec(compile(b, str(PAGE), "exec"), {})
    out = buf.getvalue().splitlines()
    assert out[0] == "{'l': -1.8, 'f.x0': 0.8, 'f.x1': -0.2, 'g.x0': 0.9}"
    # the exact LP flow of two linear networks, worked out by hand: one unit along 0->1->2
    # (cost 2, capacity 1), one along 0->2 (cost 3), both on through g (cost 2 each)
    assert out[1] == "True [1.0, 1.0, 1.0, 2.0] 9.0 9.0"
    its, residual = out[2].split()
    assert int(its) == 352 and float(residual) < 1e-9
    assert (tmp_path / "flow_network.svg").stat().st_size > 1000
