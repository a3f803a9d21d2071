"""``benchmarks/run.py --quick`` prints its rows as it measures them (it used to print
nothing for minutes, until the end)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_benchmark_prints_rows_as_it_goes() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env, start_new_session=True)
    start = time.monotonic()
    seen: list[tuple[float, str]] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # pipe: no terminal, so only explicit flushes show up
            seen.append((time.monotonic() - start, line.rstrip()))
            if line.split()[:1] == ["100"]:  # the second row of part (a, b)
                break
    finally:
        proc.kill()
        proc.wait()
    rows = [(t, text) for t, text in seen if text.split()[:1] in (["10"], ["100"])]
    assert len(rows) == 2, seen
    assert proc.returncode != 0  # killed while still running: the rows came before the end
    assert rows[0][0] < 60 and seen[0][1].startswith("benchmarks (quick)")
