"""The documentation site builds without warnings (mkdocs --strict)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_docs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    if shutil.which("dot") is None:
        pytest.skip("the docs' drawings need graphviz's dot")
    subprocess.run(["bash", str(ROOT / "scripts" / "gallery.sh")], check=True, cwd=ROOT,
                   env=dict(os.environ, PY=sys.executable), capture_output=True)
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                           "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "index.html").exists()
    assert (tmp_path / "site" / "api" / "index.html").read_text().count("OpenProblem") > 3
    gallery = (tmp_path / "site" / "gallery" / "multitask" / "index.html").read_text()
    assert "img/multitask_uwd.svg" in gallery
    assert (tmp_path / "site" / "gallery" / "img" / "multitask_uwd.svg").exists()
