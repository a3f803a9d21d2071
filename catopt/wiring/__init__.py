"""Undirected wiring diagrams: the syntax of composition, knowing nothing of optimization."""

from catopt.wiring.acset_json import from_json, to_json
from catopt.wiring.builder import UWDBuilder
from catopt.wiring.gluing import Gluing, glue
from catopt.wiring.graph import to_networkx
from catopt.wiring.relation import relation
from catopt.wiring.space import Space
from catopt.wiring.substitute import substitute
from catopt.wiring.uwd import UWD, Shape

__all__ = [
    "UWD",
    "Shape",
    "Space",
    "UWDBuilder",
    "Gluing",
    "glue",
    "relation",
    "substitute",
    "to_json",
    "from_json",
    "to_networkx",
]
