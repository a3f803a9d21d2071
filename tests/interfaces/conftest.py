"""Fixtures for the interfaces: the bundled spec and a small spec writer."""

from __future__ import annotations

from pathlib import Path

import pytest

SPEC = Path(__file__).resolve().parents[2] / "catopt" / "interfaces" / "specs" / "quadratics.toml"


@pytest.fixture
def spec_path() -> Path:
    return SPEC


@pytest.fixture
def write_spec(tmp_path: Path):
    def write(text: str, name: str = "spec.toml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return write
