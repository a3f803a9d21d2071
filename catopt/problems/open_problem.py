"""Open problems: an objective on a decision space with some variables exposed as ports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from catopt.algebra.finset import Space, resolve_ports
from catopt.algebra.protocol import OpenParts, UWDAlgebra
from catopt.algebra.ring import REAL
from catopt.backends.registry import get_backend
from catopt.errors import ObjectiveError
from catopt.problems.blocks import ObjectiveLeaf
from catopt.program.open import Open

__all__ = ["OpenProblem", "ProblemAlgebra"]


class ProblemAlgebra(UWDAlgebra):
    """Open problems under variable sharing: objectives add, pulled back along the gluing
    (``f = sum_b f_b o phi^*``), so gradients push forward (``grad f = phi_* sum_b grad f_b``);
    over Z2 the pushed-forward sums are taken mod 2."""

    name = "problem"

    def assemble(self, parts: OpenParts) -> OpenProblem:
        return OpenProblem.assembled(parts, self)


class OpenProblem(Open):
    """An open problem ``(S, f, m)``: an objective ``f: R^S -> R`` and a portmap ``m``.

    Parameters
    ----------
    objective
        The objective. With an integer space ``n`` it is called as ``objective(x)``
        with ``x.shape == (n,)``; with a named space ``{"W0": (20, 8), "W1": (8, 1)}`` as
        ``objective(W0, W1)``, one array per variable in order. Write it with
        ``autograd.numpy`` for the default backend.
    space
        An int (that many scalar coordinates, labelled ``"0"``, ``"1"``, ...) or a mapping
        from variable names to shapes.
    ports
        The exposed variables, in port order: coordinate indices in an integer space,
        variable names in a named space. Repeats are allowed (a non-injective portmap).
    grad
        Optional gradient with the objective's signature; it returns an array (integer
        space) or one array per variable (a sequence or a mapping by name).
    name
        Used in messages and drawings.
    backend
        Differentiation backend name or object (default ``"autograd"``).
    """

    def __init__(
        self,
        objective: Callable[..., Any],
        space: int | Mapping[str, Any] | Space,
        ports: Sequence[Any] | None = (),
        *,
        grad: Callable[..., Any] | None = None,
        name: str | None = None,
        backend: Any = None,
    ) -> None:
        if not callable(objective):
            raise ObjectiveError(f"objective must be callable, got {type(objective).__name__}")
        sp = Space.from_spec(space)
        port_vars = resolve_ports(sp, ports)
        what = f"objective of {name!r}" if name else "objective"
        if sp.integer:
            flat: Callable[[Any], Any] = objective
        else:
            views = sp.views

            def flat(x: Any) -> Any:
                return objective(*views(x))

        if grad is not None:
            if not callable(grad):
                raise ObjectiveError(f"grad must be callable, got {type(grad).__name__}")
            if sp.integer:
                flat_grad: Callable[[Any], Any] = grad
            else:

                single = len(sp) == 1

                def flat_grad(x: Any) -> Any:
                    g = grad(*views(x))
                    if single and not isinstance(g, (Mapping, list, tuple)):
                        g = [g]  # one variable: the gradient is that variable's array
                    return sp.pack(g)

            def vg(x: np.ndarray) -> tuple[Any, Any]:
                return flat(x), flat_grad(x)

            backend_name = "manual"
        elif sp.n == 0:  # nothing to differentiate (autograd would warn)

            def vg(x: np.ndarray) -> tuple[Any, Any]:
                return flat(x), np.zeros(0)

            backend_name = "none"
        else:
            be = get_backend(backend)
            vg = be.value_and_grad(flat)
            backend_name = getattr(be, "name", type(be).__name__)
        leaf = ObjectiveLeaf(sp.n, flat, vg, what=what, backend=backend_name)
        super().__init__(OpenParts(sp, port_vars, (leaf,), (name or "f",), None, name=name),
                         ProblemAlgebra())

    @classmethod
    def algebra_of(cls, ring: Any = None) -> ProblemAlgebra:
        return ProblemAlgebra(REAL if ring is None else ring)

    # -- alternative constructors -----------------------------------------------------------
    @classmethod
    def zero(
        cls, space: int | Mapping[str, Any] | Space, ports: Sequence[Any] | None = (), *,
        name: str | None = None,
    ) -> OpenProblem:
        """The zero objective on ``space`` with the given ports (Frobenius maps, identities)."""
        sp = Space.from_spec(space)
        return ProblemAlgebra().assemble(OpenParts(sp, resolve_ports(sp, ports), (), (),
                                                   np.zeros(0, np.int64), name=name))

    def with_ports(self, ports: Sequence[Any]) -> OpenProblem:
        """The same objective with other ports."""
        return self.with_parts(ports=resolve_ports(self.space, ports))

    # -- evaluation (the program's kernels) ---------------------------------------------------
    def objective(self, x: Any) -> float:
        """``f(x)`` on a flat vector of length ``n``."""
        return self.program.value(self.check_state(x))

    def gradient(self, x: Any) -> np.ndarray:
        """``grad f(x)`` on a flat vector of length ``n`` (for a composite,
        ``phi_* (sum_b grad f_b)(phi^* x)``)."""
        return self.program.value_and_grad(self.check_state(x))[1]

    def value_and_grad(self, x: Any) -> tuple[float, np.ndarray]:
        """``(f(x), grad f(x))`` in one pass."""
        return self.program.value_and_grad(self.check_state(x))

    def __call__(self, x: Any) -> float:
        return self.objective(x)
