"""The PyTorch backend (optional extra ``catopt[torch]``): objectives written with torch
operations on a float64 tensor; gradients and reverse derivatives by ``torch.func``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from catopt.backends.base import ValueAndGrad

__all__ = ["TorchBackend"]


class TorchBackend:
    name = "torch"

    def value_and_grad(self, fun: Callable[[Any], Any]) -> ValueAndGrad:
        gv = torch.func.grad_and_value(fun)

        def vg(x: np.ndarray) -> tuple[float, np.ndarray]:
            g, v = gv(torch.as_tensor(np.asarray(x, dtype=float)))
            return float(v), g.detach().numpy()

        return vg

    def reverse_derivative(self, fun: Callable[[Any], Any]) -> Callable[..., np.ndarray]:
        def R(x: np.ndarray, dy: Any) -> np.ndarray:
            _, vjp = torch.func.vjp(fun, torch.as_tensor(np.asarray(x, dtype=float)))
            (out,) = vjp(torch.as_tensor(np.asarray(dy, dtype=float)))
            return out.detach().numpy()

        return R
