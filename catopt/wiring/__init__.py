"""Undirected wiring diagrams: the syntax of composition, knowing nothing of optimization."""

from typing import Any

from catopt.wiring.acset_json import from_json, to_json
from catopt.wiring.builder import UWDBuilder
from catopt.wiring.graph import to_networkx
from catopt.wiring.quotient import quotient
from catopt.wiring.relation import relation
from catopt.wiring.substitute import substitute
from catopt.wiring.uwd import UWD, Shape

__all__ = [
    "UWD",
    "Shape",
    "Space",
    "UWDBuilder",
    "Gluing",
    "glue",
    "quotient",
    "relation",
    "substitute",
    "to_json",
    "from_json",
    "to_networkx",
]

#: names that moved up to :mod:`catopt.algebra`, still importable from here
_MOVED = {"Space": "catopt.algebra.finset", "Gluing": "catopt.algebra.gluing",
          "glue": "catopt.algebra.gluing"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(name)
