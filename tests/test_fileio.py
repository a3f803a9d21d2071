"""Atomic output: a write that fails midway leaves the old file whole and no temp file."""

from __future__ import annotations

from pathlib import Path

import pytest

from catopt.fileio import atomic_path, atomic_write


def test_atomic_write_replaces_whole(tmp_path: Path) -> None:
    p = tmp_path / "out" / "r.json"
    atomic_write(p, "first")
    atomic_write(p, b"second")
    assert p.read_text() == "second"
    assert [q.name for q in p.parent.iterdir()] == ["r.json"]


def test_failure_midway_keeps_the_old_file(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    atomic_write(p, "good")
    with pytest.raises(RuntimeError), atomic_path(p) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert p.read_text() == "good"
    assert [q.name for q in tmp_path.iterdir()] == ["r.json"]
