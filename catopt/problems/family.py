"""Box families: many boxes made from one objective with per-box data, differentiated in one
vectorized call.

On autograd, a family's objective is written over a batch axis: ``objective(X, **data)``
takes ``X`` of shape ``(k, n)`` (k boxes' flat states) and the matching rows of each data
array, and returns the ``k`` boxes' values. Because boxes are independent, the gradient of the
*sum* with respect to ``X`` holds every box's gradient, so one autograd call differentiates a
whole run of boxes. On JAX the objective is written for one box and ``jax.vmap`` batches it.

``family.problems()`` gives one ordinary :class:`~catopt.OpenProblem` per box, which compose
like any other (and behave exactly like distinct boxes); :func:`fuse_families` then replaces
each run of a family's boxes in a composite by one batched block. It keeps the objective,
gradient, coordinates and labels; only the number of calls per step changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from catopt.algebra.finset import Space, resolve_ports
from catopt.algebra.protocol import OpenParts
from catopt.bulk import with_paused_gc
from catopt.errors import CompositionError, ObjectiveError
from catopt.problems.blocks import ObjectiveLeaf
from catopt.problems.open_problem import OpenProblem, ProblemAlgebra
from catopt.program.quadratic import Quadratic
from catopt.validate import mapping

__all__ = ["BoxFamily", "fuse_families"]


class _MemberLeaf(ObjectiveLeaf):
    """One box of a family, usable alone; remembers its family and index for fusing."""

    __slots__ = ("family", "member")

    def __init__(self, family: BoxFamily, member: int) -> None:
        self.family = family
        self.member = member
        n = family.space.n

        d = family._rows(slice(member, member + 1))

        def value(x: np.ndarray) -> float:
            return float(family._values(x.reshape(1, n), d)[0])

        def vg(x: np.ndarray) -> tuple[float, np.ndarray]:
            v, g = family._vg_sum(x.reshape(1, n), d)
            return float(v), g[0]

        super().__init__(n, value, vg, what=f"box {member} of family {family.name!r}",
                         backend=f"{family.backend}-batched")

    def lower_jax(self, objectives: Any = None, grads: Any = None) -> tuple[Any, int, Any]:
        """``(vmapped vg, 1, data)``: this box as a JAX run of one (see
        :func:`catopt.program.jax.lower`)."""
        return self.family.jax_run([self.member], objectives, grads)

    def quadratic_form(self) -> Quadratic | None:
        """The box's quadratic form when its family declares one (see
        :mod:`catopt.program.quadratic`)."""
        form = self.family.quadratic_form([self.member])
        return None if form is None else replace(form, value=self.value)


class _FusedLeaf(ObjectiveLeaf):
    """A run of a family's boxes evaluated in one batched call (its data rows taken once)."""

    __slots__ = ("family", "members")

    def __init__(self, family: BoxFamily, members: list[int]) -> None:
        self.family = family
        self.members = members
        n, k = family.space.n, len(members)
        rows: Any = np.asarray(members)
        if np.array_equal(rows, np.arange(rows[0], rows[0] + k)):
            rows = slice(int(rows[0]), int(rows[0]) + k)  # contiguous: views, no copies
        d = family._rows(rows)
        vg_sum = family._vg_sum

        def value(x: np.ndarray) -> float:
            return float(np.sum(family._values(x.reshape(k, n), d)))

        def vg(x: np.ndarray) -> tuple[float, np.ndarray]:
            v, g = vg_sum(x.reshape(k, n), d)
            return float(v), g.ravel()

        super().__init__(n * k, value, vg, what=f"{k} boxes of family {family.name!r}",
                         backend=f"{family.backend}-batched")

    def lower_jax(self, objectives: Any = None, grads: Any = None) -> tuple[Any, int, Any]:
        """``(vmapped vg, k, data)``: this run of boxes as one vmapped JAX call (see
        :func:`catopt.program.jax.lower`)."""
        return self.family.jax_run(self.members, objectives, grads)

    def quadratic_form(self) -> Quadratic | None:
        """The boxes' quadratic forms stacked, when their family declares them."""
        form = self.family.quadratic_form(self.members)
        return None if form is None else replace(form, value=self.value)


class BoxFamily:
    """``N`` boxes sharing one objective, with per-box ``data`` (each array's leading axis has
    length ``N``); the whole family is differentiated in one vectorized call.

    ``space`` and ``ports`` are as for :class:`~catopt.OpenProblem` (the same for every box).

    - ``backend="autograd"`` (default): ``objective(X, **data) -> (k,)`` is written over a
      batch axis (``X`` holds ``k`` boxes' states as rows, each data array the matching
      rows), and one autograd call differentiates the sum; ``grad(X, **data) -> (k, n)``,
      if given, replaces autograd with a batched gradient written by hand, and
      ``value_and_grad(X, **data) -> (values (k,), grads (k, n))``, if given, computes both
      in one call (sharing intermediate results such as residuals) whenever both are needed.
    - ``backend="jax"``: ``objective(x, **data_i) -> scalar`` is written for *one* box with
      ``jax.numpy``, and the family is ``jax.vmap`` of ``jax.value_and_grad``, jitted; the
      optional ``grad(x, **data_i) -> (n,)`` is per box too. Such families also run in the
      whole-step jitted path (:func:`~catopt.engines.jax_step.jax_step`,
      ``solve(..., engine="jax")``).
    """

    def __init__(self, objective: Callable[..., Any], space: int | Mapping[str, Any] | Space,
                 ports: Sequence[Any] = (), *, data: Mapping[str, Any], name: str = "family",
                 grad: Callable[..., Any] | None = None, backend: str = "autograd",
                 value_and_grad: Callable[..., Any] | None = None) -> None:
        if not callable(objective):
            raise ObjectiveError(f"family objective must be callable, got {type(objective)}")
        if grad is not None and not callable(grad):
            raise ObjectiveError(f"family {name!r}: grad must be callable, got {type(grad)}")
        if value_and_grad is not None and (not callable(value_and_grad) or backend != "autograd"):
            raise ObjectiveError(f"family {name!r}: value_and_grad must be callable and goes "
                                 f"with backend='autograd', got {type(value_and_grad)}")
        self.value_and_grad = value_and_grad
        if backend not in ("autograd", "jax"):
            raise ObjectiveError(f"family {name!r}: backend must be 'autograd' or 'jax', got "
                                 f"{backend!r}")
        self.objective = objective
        self.grad = grad
        self.backend = backend
        self.space = Space.from_spec(space)
        self.port_variables = resolve_ports(self.space, ports)
        self.ports = list(ports)
        self.name = name
        data = mapping(data, f"family {name!r}: data", error=ObjectiveError,
                       expected="a mapping from names to arrays (one row per box)")
        try:
            arrays = {k: np.asarray(v) for k, v in data.items()}
        except (TypeError, ValueError) as e:
            raise ObjectiveError(f"family {name!r}: data must be arrays: {e}") from None
        if not arrays:
            raise ObjectiveError(f"family {name!r}: data must hold at least one array (its "
                                 f"first axis is the number of boxes)")
        sizes = {len(v) if v.ndim else -1 for v in arrays.values()}
        if len(sizes) != 1 or -1 in sizes:
            raise ObjectiveError(f"family {name!r}: data arrays must share their first axis "
                                 f"(the number of boxes), got shapes "
                                 f"{ {k: v.shape for k, v in arrays.items()} }")
        (self.size,) = sizes
        self.data = arrays
        self._setup()

    def _setup(self) -> None:
        """Build the batched differentiation (again after unpickling, e.g. on MPI ranks)."""
        grad = self.grad
        fused = getattr(self, "value_and_grad", None)  # absent in families pickled before it
        if self.backend == "jax":
            self._jax_setup()
        elif fused is not None:  # values and gradients in one call, written by hand

            def checked(X: np.ndarray, d: Mapping[str, Any]) -> tuple[Any, Any]:
                v, g = fused(X, **d)
                v = np.asarray(v, dtype=float)
                if v.shape != (len(X),):
                    raise ObjectiveError(f"family {self.name!r}: value_and_grad returned "
                                         f"values of shape {v.shape}, expected one per box "
                                         f"({len(X)},)")
                return float(np.sum(v)), g

            self._vg = checked
        elif grad is None:
            import autograd  # lazily: import catopt does not pay for autograd

            self._vg = autograd.value_and_grad(self._sum)
        else:  # a batched gradient written by hand: grad(X, **data) -> (k, n)

            def manual(X: np.ndarray, d: Mapping[str, Any]) -> tuple[Any, Any]:
                return self._sum(X, d), grad(X, **d)

            self._vg = manual

    _BUILT = ("_vg", "_jax_values", "jax_vg")

    def __getstate__(self) -> dict[str, Any]:
        # the compiled functions are rebuilt where the family is unpickled, so that JAX is
        # configured there (float64) as it is here
        return {k: v for k, v in self.__dict__.items() if k not in self._BUILT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    def _jax_setup(self) -> None:
        try:
            import jax
        except ImportError:
            raise ObjectiveError(f"family {self.name!r}: backend='jax' needs jax: pip install "
                                 f"'catopt[jax]'") from None
        from catopt.backends.jax_backend import batched_value_and_grad

        shapes = {k: (v.shape[1:], v.dtype) for k, v in self.data.items()}
        #: the vmapped per-box (values, grads), unjitted: traced into jax_step's whole step
        self.jax_vg, values = batched_value_and_grad(
            self.objective, self.space.n, shapes, self.grad, what=f"family {self.name!r}")
        vg_jit = jax.jit(self.jax_vg)

        def vg(X: np.ndarray, d: Mapping[str, Any]) -> tuple[float, np.ndarray]:
            v, G = vg_jit(X, dict(d))
            return float(np.sum(v)), np.asarray(G)

        self._vg = vg
        self._jax_values = jax.jit(values)

    def _sum(self, X: Any, d: Mapping[str, Any]) -> Any:
        v = self.objective(X, **d)
        if np.shape(v) != (len(X),):
            raise ObjectiveError(f"family {self.name!r}: objective returned shape "
                                 f"{np.shape(v)}, expected one value per box ({len(X)},)")
        import autograd.numpy as anp

        return anp.sum(v)

    def _rows(self, rows: Any) -> dict[str, Any]:
        """The data of boxes ``rows`` (on JAX, as device arrays, moved there once)."""
        if self.backend == "jax":
            import jax.numpy as jnp

            return {k: jnp.asarray(v[rows]) for k, v in self.data.items()}
        return {k: v[rows] for k, v in self.data.items()}

    def _values(self, X: np.ndarray, d: Mapping[str, Any]) -> np.ndarray:
        if self.backend == "jax":
            return np.asarray(self._jax_values(X, dict(d)), dtype=float)
        v = np.asarray(self.objective(X, **d), dtype=float)
        if v.shape != (len(X),):
            raise ObjectiveError(f"family {self.name!r}: objective returned shape {v.shape}, "
                                 f"expected one value per box ({len(X)},)")
        return v

    def _vg_sum(self, X: np.ndarray, d: Mapping[str, Any]) -> tuple[float, np.ndarray]:
        """The boxes' summed value and every box's gradient, in one vectorized call."""
        v, g = self._vg(X, d)
        return float(v), np.asarray(g, dtype=float)

    def __len__(self) -> int:
        return self.size

    def quadratic_form(self, members: list[int]) -> Quadratic | None:
        """The quadratic form of boxes ``members`` stacked (one block per box), if the family
        knows its objective to be quadratic: None here; see
        :class:`~catopt.problems.quadratic.QuadraticFamily`."""
        return None

    def jax_run(self, members: list[int], objectives: Any = None,
                grads: Any = None) -> tuple[Any, int, dict[str, Any]]:
        """The JAX form of boxes ``members``: ``(vg, k, data)`` with ``vg(X, d) -> (values (k,),
        grads (k, n))`` traceable (``jax.vmap`` of the per-box ``value_and_grad``) and ``data``
        their rows as device arrays. ``objectives``/``grads``: per-box JAX functions (or
        mappings from family name to one) for an autograd family; None for a JAX family."""
        import jax.numpy as jnp

        rows = np.asarray(members)
        data = {k: jnp.asarray(v[rows]) for k, v in self.data.items()}
        if objectives is None:
            if self.backend != "jax":
                raise CompositionError(
                    f"family {self.name!r} has an autograd objective; make it with "
                    f"BoxFamily(..., backend='jax') or give its per-box JAX objective "
                    f"(objectives={{{self.name!r}: f}})")
            if grads is not None:
                raise CompositionError("grads= goes with objectives=; a JAX family takes its "
                                       "gradient as BoxFamily(..., grad=...)")
            return self.jax_vg, len(rows), data
        from catopt.backends.jax_backend import batched_value_and_grad

        fn = self._pick(objectives, "objective")
        gfn = self._pick(grads, "gradient")
        assert fn is not None
        shapes = {k: (v.shape[1:], v.dtype) for k, v in self.data.items()}
        vg = batched_value_and_grad(fn, self.space.n, shapes, gfn,
                                    what=f"family {self.name!r}")[0]
        return vg, len(rows), data

    def _pick(self, given: Any, what: str) -> Any:
        if given is None or callable(given):
            return given
        if self.name not in given:
            raise CompositionError(f"no JAX {what} given for family {self.name!r} (given "
                                   f"for: {sorted(given)})")
        return given[self.name]

    @with_paused_gc
    def problems(self) -> list[OpenProblem]:
        """One open problem per box, in order."""
        alg = ProblemAlgebra()
        return [alg.assemble(OpenParts(self.space, self.port_variables, (_MemberLeaf(self, i),),
                                       (f"{self.name}[{i}]",), None, name=f"{self.name}[{i}]"))
                for i in range(self.size)]

    def __repr__(self) -> str:
        return f"BoxFamily({self.name!r}, boxes={self.size}, n={self.space.n})"


@with_paused_gc
def fuse_families(problem: OpenProblem) -> OpenProblem:
    """The same problem with each run of consecutive boxes of one family fused into one
    batched block (one autograd call per run and step instead of one per box)."""
    if not isinstance(problem, OpenProblem):
        raise CompositionError(f"fuse_families takes an OpenProblem, got {type(problem)}")
    blocks, names = [], []
    run: list[int] = []
    fam: BoxFamily | None = None
    run_names: list[str] = []

    def flush() -> None:
        if fam is not None and run:
            if len(run) == 1:
                blocks.append(_MemberLeaf(fam, run[0]))
                names.append(run_names[0])
            else:
                blocks.append(_FusedLeaf(fam, list(run)))
                names.append(f"{run_names[0]}..{run_names[-1]}")

    for blk, name in zip(problem.leaves, problem.leaf_names, strict=True):
        if isinstance(blk, _MemberLeaf):
            if blk.family is not fam:
                flush()
                fam, run, run_names = blk.family, [], []
            run.append(blk.member)
            run_names.append(name)
        else:
            flush()
            fam, run, run_names = None, [], []
            blocks.append(blk)
            names.append(name)
    flush()
    return problem.with_parts(leaves=tuple(blocks), leaf_names=tuple(names),
                              index=problem.gather_index)
