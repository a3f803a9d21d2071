"""MPI test helpers: whether mpiexec is here, and a ring of closure boxes for runs and faults."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import autograd.numpy as anp
import numpy as np

import catopt as co


def have_mpiexec() -> bool:
    from catopt.engines.mpi_engine import mpiexec_command

    try:
        mpiexec_command(2)
    except co.EngineError:
        return False
    return True


def chain(n_boxes: int, seed: int, hook=None) -> co.OpenProblem:
    """A ring of boxes over shared 2-vectors; each objective a closure over random data:
    ``a |x - c|^2 + e |x|^4`` (``hook(box)`` runs inside box objectives, for fault tests)."""
    rng = np.random.default_rng(seed)
    boxes = [(f"b{k}", [f"j{k}", f"j{(k + 1) % n_boxes}", f"p{k}"]) for k in range(n_boxes)]
    d = co.UWD(boxes, [], shapes={**{f"j{k}": (2,) for k in range(n_boxes)}})
    probs = []
    for k in range(n_boxes):
        a, c, e = rng.uniform(0.5, 2.0), rng.standard_normal(5), rng.uniform(0, 0.05)

        def f(x, a=a, c=c, e=e, k=k):
            if hook is not None:
                hook(k)
            return a * anp.sum((x - c) ** 2) + e * anp.sum(x**4)

        probs.append(co.OpenProblem(
            lambda u, v, w, f=f: f(anp.concatenate([u, v, anp.reshape(w, (1,))])),
            {"u": (2,), "v": (2,), "w": ()}, ports=["u", "v", "w"], name=f"b{k}"))
    return co.compose(d, probs)


def slow_when_asked(k: int) -> None:
    if os.environ.get("CATOPT_TEST_SLOW"):
        time.sleep(0.002)


def start_script(path: Path, text: str, *args: str) -> subprocess.Popen[str]:
    """Write ``text`` to ``path`` and start it with this Python, the repository on its path
    and the slow hook on (``slow_when_asked`` sleeps), its output captured as text."""
    root = Path(__file__).resolve().parents[2]
    path.write_text(text)
    old = os.environ.get("PYTHONPATH")
    env = {**os.environ, "CATOPT_TEST_SLOW": "1",
           "PYTHONPATH": os.pathsep.join([str(root)] + ([old] if old else []))}
    return subprocess.Popen([sys.executable, str(path), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, seconds: float = 60.0) -> None:
    """Wait until ``path`` exists (at most ``seconds``)."""
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
