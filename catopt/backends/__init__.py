"""Reverse-derivative backends: how a box's local gradient is computed.

This layer knows nothing of diagrams or problems: it differentiates functions on flat
vectors. autograd is the default; others are registered by name and imported lazily.
"""

from catopt.backends.base import Backend, ValueAndGrad
from catopt.backends.registry import available_backends, get_backend, register_backend

__all__ = ["Backend", "ValueAndGrad", "get_backend", "register_backend", "available_backends"]
