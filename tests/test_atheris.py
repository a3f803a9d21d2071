"""Coverage-guided fuzzing with atheris, a bounded number of runs per harness."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("harness", sorted(p.name for p in (ROOT / "fuzz").glob("fuzz_*.py")))
def test_harness_survives(harness: str, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / harness), "-runs=20000", "-max_len=512",
         "-timeout=10", f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )
    tail = proc.stderr[-3000:]
    assert proc.returncode == 0, tail
    assert "Done 20000 runs" in proc.stderr, tail
