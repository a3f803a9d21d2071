"""``import catopt`` stays fast: heavy and optional packages are imported only when used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAZY = ["networkx", "matplotlib", "graphviz", "click", "tqdm", "jax", "torch", "mpi4py",
        "sklearn", "cloudpickle", "autograd"]


def test_import_does_not_load_optional_packages() -> None:
    code = ("import sys, json; import catopt; "
            f"print(json.dumps([m for m in {LAZY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                         check=True)
    assert json.loads(out.stdout) == []
