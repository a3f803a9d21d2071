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


def test_new_files_get_the_umask_mode_and_old_files_keep_theirs(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        p = atomic_write(tmp_path / "new.svg", "x")
        assert p.stat().st_mode & 0o777 == 0o644  # as open(path, "w") would, not 0o600
        q = tmp_path / "kept.json"
        q.write_text("old")
        q.chmod(0o640)
        atomic_write(q, "new")
        assert q.stat().st_mode & 0o777 == 0o640 and q.read_text() == "new"
    finally:
        os.umask(old)
