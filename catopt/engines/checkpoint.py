"""Checkpoints: the state of a gradient descent run, saved every N steps and on Ctrl-C.

A checkpoint at iteration ``t`` holds the state ``x_t``, the objective ``f(x_t)`` computed by the
run (NaN when saved before it was known), the objective and gradient-norm histories of iterations
``0..t-1``, and fingerprints of the configuration (problem structure, step rule, ``sync_every``).
Resuming starts at iteration ``t`` from ``x_t`` with those histories, so it computes exactly what
the uninterrupted run computes from there: gradient descent has no other state.

Files are ``.npz`` archives of plain arrays (loaded with ``allow_pickle=False``), written
atomically (a crash mid-write leaves the previous checkpoint intact).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from catopt.errors import CatoptError, CheckpointError
from catopt.fileio import atomic_path, check_writable
from catopt.validate import integer

__all__ = ["Checkpointer", "Checkpoint", "config_fingerprints", "load_checkpoint",
           "prepare_checkpoints", "CHECKPOINT_FILE"]

CHECKPOINT_FILE = "checkpoint.npz"
_FORMAT = "catopt-checkpoint/1"


def _sha(*parts: Any) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(np.ascontiguousarray(p).tobytes())
            h.update(str(p.dtype).encode())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"|")
    return h.hexdigest()[:32]


def _rule_fingerprint(rule: Any) -> str:
    """The rule's class and, for natural rules, its steps at a few iterations (a function's
    repr holds its memory address, so values identify it across processes); for a global
    rule its ``repr``, which states its configuration (never a counter it keeps)."""
    parts: list[Any] = [type(rule).__module__, type(rule).__qualname__]
    if getattr(rule, "natural", True):
        try:
            parts.append([repr(float(rule(t))) for t in (0, 1, 2, 3, 7, 10, 100, 1000, 10**5)])
        except Exception as e:  # a rule that fails here fails in the run too
            parts.append(f"unevaluable: {type(e).__name__}")
    else:
        parts.append(repr(rule))
    return _sha(*parts)


#: probe points of the data fingerprint: a fixed seed, so every process draws the same
_PROBES = 3


def _data_fingerprint(problem: Any) -> str:
    """The objective at a few fixed probe points: a resumed run whose problem has other data
    (same structure, edited numbers) is told apart. Only values are probed: a minibatch
    problem's gradient is random, its objective is not."""
    program = problem.program
    rng = np.random.default_rng(20240229)
    exact = program.ring.exact
    out: list[Any] = []
    for _ in range(_PROBES):
        y = rng.standard_normal(program.n) if exact else rng.integers(0, 2, program.n) * 1.0
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # a probe off the problem's domain is quiet
                out.append(repr(float(program.value(y))))
        except Exception as e:  # noqa: BLE001 - a failing probe is part of the fingerprint
            out.append(f"fails: {type(e).__name__}")
    return _sha(out)


def config_fingerprints(problem: Any, rule: Any, sync_every: int = 1) -> dict[str, str]:
    """Fingerprints of what must match for a resumed run to continue the saved one."""
    program = problem.program
    sizes = np.diff(program.offsets).astype(np.int64)
    return {
        "problem": _sha(problem.n, list(problem.labels), list(program.leaf_names), sizes,
                        program.gather_index.astype(np.int64)),
        "problem data": _data_fingerprint(problem),
        "step rule": _rule_fingerprint(rule),
        "sync_every": _sha(int(sync_every)),
    }


@dataclass
class Checkpoint:
    """A loaded checkpoint (see the module docstring)."""

    x: np.ndarray
    iteration: int
    value: float
    history: list[float]
    grad_norms: list[float]
    path: Path
    #: what the engine recorded to run the same way on resume (MPI: the reduction mode)
    meta: dict[str, Any] = field(default_factory=dict)


def _file(directory: str | os.PathLike[str]) -> Path:
    p = Path(directory)
    return p if p.suffix == ".npz" else p / CHECKPOINT_FILE


class Checkpointer:
    """Saves checkpoints into ``directory`` every ``every`` steps (0: only at the end and on
    Ctrl-C); ``expect`` is ``(t, f(x_t))`` of a resumed checkpoint, checked on the first step."""

    def __init__(self, directory: str | os.PathLike[str], every: int,
                 fingerprints: dict[str, str], expect: tuple[int, float] | None = None) -> None:
        every = integer(every, "checkpoint_every", minimum=0, expected="a non-negative int")
        self.path = _file(directory)
        try:  # found now, before the run, not after it
            check_writable(self.path)
        except OSError as e:
            raise CheckpointError(f"cannot save checkpoints to {str(self.path)!r}: "
                                  f"{e.strerror or e}") from None
        self.every = int(every)
        self.fingerprints = dict(fingerprints)
        self.expect = expect

    def due(self, t: int, start: int) -> bool:
        return self.every > 0 and t > start and t % self.every == 0

    def verify(self, t: int, value: float) -> None:
        """On the first step of a resumed run: ``f(x_t)`` must be what the saved run computed."""
        if self.expect is None or self.expect[0] != t:
            return
        want = self.expect[1]
        self.expect = None
        if np.isfinite(want) and not np.isclose(value, want, rtol=1e-9, atol=1e-300):
            raise CheckpointError(
                f"checkpoint {self.path}: the objective at the saved state x_{t} is {value!r} "
                f"now but was {want!r} when saved; the problem's objective changed since, so "
                f"resuming would not continue that run"
            )

    def save(self, x: np.ndarray, t: int, value: float, history: Any, grad_norms: Any,
             meta: dict[str, Any] | None = None) -> Path:
        hist = np.asarray(history, dtype=float)[:t]
        gns = np.asarray(grad_norms, dtype=float)[:t]
        with atomic_path(self.path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    format=np.array(_FORMAT),
                    x=np.asarray(x, dtype=float),
                    iteration=np.array(t, dtype=np.int64),
                    value=np.array(value, dtype=float),
                    history=hist,
                    grad_norms=gns,
                    fingerprint_keys=np.array(sorted(self.fingerprints)),
                    fingerprint_values=np.array(
                        [self.fingerprints[k] for k in sorted(self.fingerprints)]
                    ),
                    meta=np.array(json.dumps(meta or {}, sort_keys=True)),
                )
                fh.flush()
                os.fsync(fh.fileno())
        return self.path


#: members of a checkpoint and the dtype kind each must have
_MEMBERS = {"format": "U", "x": "f", "iteration": "i", "value": "f", "history": "f",
            "grad_norms": "f", "fingerprint_keys": "U", "fingerprint_values": "U", "meta": "U"}


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a checkpoint file, each header read and checked (known member, plain
    dtype, size within ``max_record``) before its data is allocated; any fault in the file is a
    :class:`~catopt.errors.CheckpointError` naming it."""
    import zipfile

    from catopt.limits import check_limit

    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                name = info.filename.removesuffix(".npy")
                if name not in _MEMBERS:
                    continue  # a newer writer's extra member: not read
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    shape, fortran, dtype = _header(fh, version)
                    if dtype.hasobject or dtype.kind != _MEMBERS[name]:
                        raise CheckpointError(f"checkpoint {path}: member {name!r} has dtype "
                                              f"{dtype}, expected kind {_MEMBERS[name]!r}")
                    count = int(np.prod(shape, dtype=object))
                    check_limit("max_record", count, f"checkpoint member {name!r}")
                    data = fh.read(count * dtype.itemsize + 1)
                    if len(data) != count * dtype.itemsize:
                        raise CheckpointError(f"checkpoint {path}: member {name!r} is "
                                              f"truncated or padded")
                    arr = np.frombuffer(data, dtype=dtype).reshape(
                        shape, order="F" if fortran else "C")
                    out[name] = arr.copy()
    except CatoptError:
        raise
    except Exception as e:  # noqa: BLE001 - zip, header, decode faults of a corrupt file
        raise CheckpointError(f"checkpoint {path} is not a readable catopt checkpoint: "
                              f"{type(e).__name__}: {e}") from None
    return out


def _header(fh: Any, version: tuple[int, int]) -> tuple[tuple[int, ...], bool, np.dtype]:
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(fh)
    raise ValueError(f"unsupported .npy version {version}")


def load_checkpoint(directory: str | os.PathLike[str],
                    fingerprints: dict[str, str] | None = None, n: int | None = None) -> Checkpoint:
    """Load the checkpoint in ``directory`` (or an ``.npz`` path) and check it against the
    run's configuration ``fingerprints`` and state size ``n``. Every fault of the file (not a
    zip, a member of the wrong kind or size, an inconsistent history) is a
    :class:`~catopt.errors.CheckpointError`."""
    path = _file(directory)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint to resume from: {path} does not exist")
    data = _read_npz(path)
    need = ("format", "x", "iteration", "value", "history", "grad_norms", "fingerprint_keys",
            "fingerprint_values")
    missing = [k for k in need if k not in data]
    if missing or str(data.get("format")) != _FORMAT:
        raise CheckpointError(
            f"checkpoint {path} is not a {_FORMAT} file (missing keys {missing} or format "
            f"{str(data.get('format'))!r})"
        )
    for k in ("iteration", "value", "format", "meta"):
        if k in data and data[k].shape != ():
            raise CheckpointError(f"checkpoint {path}: member {k!r} has shape "
                                  f"{data[k].shape}, expected a scalar")
    if data["x"].ndim != 1 or data["fingerprint_keys"].shape != \
            data["fingerprint_values"].shape or data["fingerprint_keys"].ndim != 1:
        raise CheckpointError(f"checkpoint {path} is inconsistent: its state or fingerprints "
                              f"have the wrong shape")
    t = int(data["iteration"])
    x = np.asarray(data["x"], dtype=float)
    if n is not None and x.shape != (n,):
        raise CheckpointError(
            f"checkpoint {path} holds a state of shape {x.shape}, but the problem has {n} "
            f"coordinates: it belongs to a different problem"
        )
    if data["history"].shape != (t,) or data["grad_norms"].shape != (t,):
        raise CheckpointError(
            f"checkpoint {path} is inconsistent: iteration {t} but {data['history'].size} "
            f"history values"
        )
    saved = dict(zip(data["fingerprint_keys"].tolist(), data["fingerprint_values"].tolist(),
                     strict=True))
    if fingerprints is not None:
        differ = [k for k in sorted(set(saved) | set(fingerprints))
                  if saved.get(k) != fingerprints.get(k)]
        if differ:
            hint = (" (a step estimated from x0 with step=None is estimated afresh on resume: "
                    "pass the step the saved run used)" if "step rule" in differ else "")
            what = {"problem": "the problem's structure (coordinates, boxes, wiring)",
                    "problem data": "the problem's data (the objective changed: its values at "
                                    "fixed probe points)",
                    "step rule": "the step rule", "sync_every": "sync_every"}
            raise CheckpointError(
                f"checkpoint {path} was saved with a different configuration: "
                f"{', '.join(what.get(k, k) for k in differ)} "
                f"differ{'s' if len(differ) == 1 else ''} from this run's; resume with the "
                f"same problem, step and sync_every, or start afresh{hint}"
            )
    meta: dict[str, Any] = {}
    if "meta" in data:
        try:
            meta = json.loads(str(data["meta"]))
        except ValueError:
            raise CheckpointError(f"checkpoint {path} has an unreadable meta record") from None
        if not isinstance(meta, dict):
            raise CheckpointError(f"checkpoint {path} has an unreadable meta record")
    return Checkpoint(x=x, iteration=t, value=float(data["value"]),
                      history=data["history"].tolist(), grad_norms=data["grad_norms"].tolist(),
                      path=path, meta=meta)


def prepare_checkpoints(problem: Any, rule: Any, steps: int, x: np.ndarray,
                        options: dict[str, Any], *,
                        checkpoint: str | os.PathLike[str] | None = None,
                        checkpoint_every: int = 0,
                        resume: str | os.PathLike[str] | None = None, sync_every: int = 1,
                        engine: str = "local") -> np.ndarray:
    """Set up a run's checkpoints for the driver; return the state to start from.

    With ``checkpoint`` (a folder) or ``resume`` (a folder or ``.npz`` holding a
    checkpoint), ``options["checkpoint"]`` becomes the :class:`Checkpointer` that
    :func:`~catopt.engines.driver.drive` saves through; on resume, ``options`` also gets the
    saved iteration, histories (and, on MPI, the saved reduction), the checkpoint's state is
    returned, and new checkpoints go to the same folder unless ``checkpoint`` says otherwise.
    Without either, ``x`` is returned as it is.
    """
    checkpoint_every = integer(checkpoint_every, "checkpoint_every", minimum=0)
    if checkpoint is None and resume is None:
        if checkpoint_every:
            raise CatoptError("checkpoint_every needs a checkpoint folder: checkpoint=DIR")
        return x
    fps = config_fingerprints(problem, rule, sync_every)
    expect = None
    if resume is not None:
        ck = load_checkpoint(resume, fps, problem.n)
        if steps < ck.iteration:
            raise CatoptError(
                f"the checkpoint {ck.path} is at iteration {ck.iteration}, beyond "
                f"steps={steps}: pass steps >= {ck.iteration} (the total count, saved "
                f"steps included) to continue it")
        x = ck.x
        expect = (ck.iteration, ck.value)
        options.update(start=ck.iteration, history=ck.history, grad_norms=ck.grad_norms)
        recorded = ck.meta.get("reduction")
        if engine == "mpi" and recorded and options.get("reduction", "auto") == "auto":
            options["reduction"] = recorded  # resume the way the saved run reduced
        if checkpoint is None:
            checkpoint = ck.path
    options["checkpoint"] = Checkpointer(checkpoint, checkpoint_every, fps, expect)
    return x
