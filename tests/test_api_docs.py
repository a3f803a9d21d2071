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


def _documented_objects():
    """Every object the API page renders (members of documented classes and modules too)."""
    griffe = __import__("pytest").importorskip("griffe")
    pkg = griffe.GriffeLoader(search_paths=[str(API.parents[1])]).load("catopt")

    def walk(obj):
        yield obj
        if obj.is_module or obj.is_class:
            for name, member in obj.members.items():
                if member.is_alias or (name.startswith("_") and name != "__init__"):
                    continue
                yield from walk(member)

    for target in re.findall(r"^::: (\S+)", API.read_text(encoding="utf-8"), re.M):
        yield from walk(pkg[target.split(".", 1)[1]])


def _prose_in_type_column(annotation: str) -> bool:
    """A 'type' that is a sentence: once brackets are dropped, an alternative (split at ``|``,
    ``,`` or ``or``) of more than one word."""
    flat = re.sub(r"\[[^\[\]]*\]", "", re.sub(r"\[[^\[\]]*\]", "", annotation))
    parts = re.split(r"\||,|\bor\b", flat)
    return "``" in flat or any(len(p.split()) > 1 for p in parts)


def test_docstrings_parse_cleanly_as_numpy(caplog) -> None:
    """Numpy sections parse without warnings, name only real parameters, and keep prose out
    of the type column (``name : prose`` used to split descriptions across columns)."""
    import logging

    import griffe

    bad = []
    for obj in _documented_objects():
        if obj.docstring is None:
            continue
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            sections = obj.docstring.parse(griffe.Parser.numpy, warn_unknown_params=True)
        bad += [f"{obj.path}: {r.getMessage()}" for r in caplog.records]
        for section in sections:
            if section.kind.value in ("parameters", "other parameters", "attributes"):
                for item in section.value:
                    if _prose_in_type_column(str(item.annotation or "")):
                        bad.append(f"{obj.path}: {item.name} : {item.annotation}")
    assert not bad, "\n".join(bad)


def test_the_docstring_check_catches_prose_as_a_type() -> None:
    assert _prose_in_type_column("initial state: None (zeros), a number, a flat vector")
    assert not _prose_in_type_column("Callable[[int, np.ndarray, float, float], Any] | None")
    assert not _prose_in_type_column("int | Mapping[str, Any] | Space")
