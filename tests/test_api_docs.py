"""The API reference (docs/api.md) documents every public name of ``catopt``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import catopt as co

API = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def documented_names(text: str) -> set[str]:
    """Names a page's ``::: dotted.path`` directives render: the object itself, and a
    module's ``__all__`` when the path is a module."""
    names: set[str] = set()
    for target in re.findall(r"^::: (\S+)", text, re.M):
        names.add(target.rsplit(".", 1)[-1])
        names.update(target.split(".")[1:2])  # a subpackage documented through its members
        try:
            module = importlib.import_module(target)
        except ImportError:
            continue
        names.update(getattr(module, "__all__", ()))
    return names


def test_every_public_name_is_in_the_api_reference() -> None:
    names = documented_names(API.read_text(encoding="utf-8"))
    missing = [n for n in co.__all__ if n not in names and n != "__version__"]
    assert not missing, f"add these to docs/api.md: {missing}"


def test_every_directive_resolves() -> None:
    for target in re.findall(r"^::: (\S+)", API.read_text(encoding="utf-8"), re.M):
        module, _, attr = target.rpartition(".")
        try:
            importlib.import_module(target)
        except ImportError:
            assert hasattr(importlib.import_module(module), attr), target


def test_no_placeholder_text_in_the_pages() -> None:
    """A page must not ship a draft marker (a stray 'XX' once replaced a sentence)."""
    marker = re.compile(r"\b(XX+|TODO|TBD|FIXME)\b")
    pages = sorted(API.parent.rglob("*.md"))
    assert len(pages) > 5
    found = [f"{p.relative_to(API.parent)}:{n}: {line}" for p in pages
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if marker.search(line)]
    assert not found, found
