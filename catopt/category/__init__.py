"""catopt as a hypergraph category: open objectives (and open systems) as morphisms.

``F >> G`` shares a boundary, ``F @ G`` puts problems side by side, and identities, the
symmetry and the Frobenius generators (merge, copy, create, delete) are spans of diagonals
with the zero objective. The gradient functor acts on morphisms and preserves all of it.
"""

from catopt.category.equivalence import (
    NotEquivalent,
    assert_equivalent,
    equivalent,
    match_coordinates,
)
from catopt.category.generators import copy, create, delete, identity, merge, swap, zero
from catopt.category.morphism import Expr, Morphism, boundary, tensor_all
from catopt.category.syntax import to_uwd

__all__ = [
    "Morphism",
    "Expr",
    "boundary",
    "tensor_all",
    "identity",
    "swap",
    "copy",
    "merge",
    "create",
    "delete",
    "zero",
    "to_uwd",
    "assert_equivalent",
    "equivalent",
    "match_coordinates",
    "NotEquivalent",
]
