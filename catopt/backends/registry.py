"""Backends by name. Optional ones are imported only when asked for."""

from __future__ import annotations

import importlib
from typing import Any

from catopt.backends.base import Backend
from catopt.errors import BackendError

__all__ = ["get_backend", "register_backend", "available_backends"]

# name -> "module:attr" of a zero-argument factory, imported lazily
_LAZY: dict[str, str] = {
    "autograd": "catopt.backends.autograd_backend:AutogradBackend",
    "torch": "catopt.backends.torch_backend:TorchBackend",
    "jax": "catopt.backends.jax_backend:JaxBackend",
    "z2": "catopt.backends.z2:Z2Backend",
}
_INSTANCES: dict[str, Backend] = {}


def register_backend(name: str, target: str | Backend) -> None:
    """Register a backend instance, or ``"module:attr"`` of a factory imported on first use."""
    if isinstance(target, str):
        _LAZY[name] = target
        _INSTANCES.pop(name, None)
    else:
        _INSTANCES[name] = target


def available_backends() -> tuple[str, ...]:
    """Names of the registered backends (whether or not their packages are installed)."""
    return tuple(sorted(set(_LAZY) | set(_INSTANCES)))


def get_backend(backend: str | Backend | None = None) -> Backend:
    """The backend named ``backend`` (default ``"autograd"``), or ``backend`` itself."""
    if backend is None:
        backend = "autograd"
    if not isinstance(backend, str):
        if not hasattr(backend, "value_and_grad"):
            raise BackendError(
                f"a backend needs a value_and_grad method; got {type(backend).__name__}"
            )
        return backend
    if backend in _INSTANCES:
        return _INSTANCES[backend]
    if backend not in _LAZY:
        raise BackendError(
            f"unknown backend {backend!r}; available: {', '.join(available_backends())}"
        )
    module, _, attr = _LAZY[backend].partition(":")
    try:
        factory: Any = getattr(importlib.import_module(module), attr)
        inst = factory()
    except ImportError as e:
        raise BackendError(
            f"backend {backend!r} needs a package that is not installed ({e.name}); "
            f"install it with: pip install 'catopt[{backend}]'"
        ) from None
    _INSTANCES[backend] = inst
    return inst
