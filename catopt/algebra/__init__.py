"""Algebra: typed finite sets, the pushout that glues them, and the UWD-algebra protocol with
the one generic composition. Knows the wiring layer only."""

from catopt.algebra.finset import Space, resolve_ports
from catopt.algebra.gluing import Gluing, glue, pullback, pushforward
from catopt.algebra.protocol import OpenParts, UWDAlgebra, compose, fillers_in_box_order
from catopt.algebra.ring import REAL, Z2, Ring

__all__ = ["Space", "resolve_ports", "Gluing", "glue", "pullback", "pushforward", "OpenParts",
           "UWDAlgebra", "compose", "fillers_in_box_order", "Ring", "REAL", "Z2"]
