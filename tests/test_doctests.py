"""The examples in docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "catopt",
    "catopt.limits",
    "catopt.wiring.relation",
    "catopt.wiring.builder",
    "catopt.sheaves.sheaf",
    "catopt.sheaves.syntax",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0
