"""Ctrl-C during `catopt run`: a checkpoint is saved, the exit is clean (130, no traceback)
with a message saying how to resume, and resuming reaches the uninterrupted result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "catopt" / "interfaces" / "specs" / "quadratics.toml"


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_saves_a_checkpoint_and_resume_finishes(tmp_path: Path, sig, code) -> None:
    """SIGTERM (Slurm, systemd, docker stop, timeout) stops a run as Ctrl-C does."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), CI="1")
    ck = tmp_path / "ck"
    steps = "3000000"
    proc = subprocess.Popen(
        [sys.executable, "-m", "catopt", "run", str(SPEC), "--steps", steps, "--tol", "0",
         "--step", "0.01", "--checkpoint", str(ck), "--checkpoint-every", "1000", "-q"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4.0)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert "resume" in err and str(ck) in err
    assert any(ck.iterdir())
    import re

    t_int = int(re.search(r"(?:interrupted|terminated \(SIGTERM\)) at iteration (\d+)",
                          err).group(1))
    saved = np.load(ck / "checkpoint.npz")
    assert int(saved["iteration"]) == t_int and np.isfinite(saved["value"])
    total = str(t_int + 5000)
    common = ["--tol", "0", "--step", "0.01", "-q"]
    done = subprocess.run(
        [sys.executable, "-m", "catopt", "run", str(SPEC), "--steps", total, "--resume", str(ck),
         "--output", str(tmp_path / "resumed.json"), *common],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ref = subprocess.run(
        [sys.executable, "-m", "catopt", "run", str(SPEC), "--steps", total,
         "--output", str(tmp_path / "ref.json"), *common],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    a = json.loads((tmp_path / "resumed.json").read_text())
    b = json.loads((tmp_path / "ref.json").read_text())
    assert a["iterations"] == b["iterations"] == int(total)
    np.testing.assert_array_equal(list(a["x"].values()), list(b["x"].values()))
