"""Flow-network spec files: a composite flow network and how to solve it by dual
decomposition, without Python.

.. code-block:: toml

    kind = "flow"
    relation = "() :- f(w, x), g(w, x)"

    [boxes.f]
    nodes = 3                          # or a list of names
    edges = [[0, 1], [1, 2], [0, 2]]
    quadratic = [1.0, 0.5, 2.0]        # a x^2 + beta x + gamma per edge (scalars broadcast)
    linear = 0.1
    lower = -1.0                       # optional capacities
    upper = [1.0, 2.0, 1.0]
    supply = [1.0, 0.0, 0.0]
    ports = [1, 2]

    [solve]
    step = 0.1                         # dual step
    steps = 20000
    tol = 1e-10                        # on |lam_{t+1} - lam_t| / step
    method = "auto"                    # "dual", "proximal" or "auto"
    t = 10.0                           # the proximal step (method "proximal"; optional)

``catopt run`` solves it by hierarchical dual decomposition (on the multipliers, flows
recovered at the end). When an edge cost is linear (no quadratic term) the edge minimizers
are not unique and dual decomposition does not recover an exact flow, so ``method = "auto"``
(the default) then runs the proximal point method, each proximal subproblem by dual
decomposition (:func:`~catopt.engines.proximal_flows.proximal_dual_decomposition`; ``steps``
is then the most dual steps per subproblem, and ``step`` the dual step, computed from the
network when not given). ``catopt draw`` draws the network with the solved flows on its
edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from catopt.algebra.protocol import compose
from catopt.engines.proximal_flows import flow_cost, proximal_dual_decomposition
from catopt.engines.systems import run_system
from catopt.errors import CatoptError, SpecError
from catopt.functor.decomposition import dual_decomposition, recover_flows
from catopt.problems.flows import OpenFlowNetwork
from catopt.validate import integer, number
from catopt.wiring.uwd import UWD

__all__ = ["FlowSpec", "flow_spec", "FLOW_BOX_KEYS", "FLOW_SOLVE_KEYS"]

FLOW_BOX_KEYS = {"nodes", "edges", "quadratic", "linear", "constant", "lower", "upper",
                 "supply", "ports"}
FLOW_SOLVE_KEYS = {"step", "steps", "tol", "method", "t"}
FLOW_METHODS = ("auto", "dual", "proximal")
#: what each numeric [solve] key must be (both methods need them so: the proximal method
#: refuses a zero ``tol`` and an infinite ``t``)
_SOLVE_NUMBERS = {"step": "a finite positive number (the dual step)",
                  "steps": "an int >= 1 (the most dual steps)",
                  "tol": "a finite positive number (the tolerance)",
                  "t": "a finite positive number (the proximal step)"}


@dataclass
class FlowSpec:
    """A loaded flow spec: the diagram, the subnetworks, the composite, solve options."""

    path: str
    diagram: UWD
    networks: dict[str, OpenFlowNetwork]
    composite: OpenFlowNetwork
    solve: dict[str, Any] = field(default_factory=dict)
    title: str | None = None

    @property
    def method(self) -> str:
        """The method ``run`` uses: the spec's ``method``, where ``"auto"`` is ``"proximal"``
        when some edge cost is linear (``a = 0``, not a general cost) and ``"dual"`` else."""
        method = self.solve.get("method", "auto")
        if method != "auto":
            return str(method)
        linear = any(leaf.cost is None and bool(np.any(leaf.a == 0))
                     for leaf in self.composite.leaves)
        return "proximal" if linear else "dual"

    def run(self, **overrides: Any) -> dict[str, Any]:
        """Solve to ``tol``: hierarchical dual decomposition (``method`` "dual") or the
        proximal point method with dual decomposition ("proximal"). Returns the driver's
        result (of the last subproblem), the multipliers, the recovered flows, their cost and
        conservation residual, the dual value at the multipliers, the method, and the outer
        iterations and dual steps."""
        given = {**self.solve, **{k: v for k, v in overrides.items() if v is not None}}
        if self.method == "proximal":
            sol = proximal_dual_decomposition(
                self.composite, given.get("t"), tol=given.get("tol", 1e-10),
                steps=given.get("steps", 200000), step=given.get("step"))
            return {"result": sol.last, "multipliers": sol.multipliers, "flows": sol.flows,
                    "conservation": sol.conservation, "cost": sol.cost,
                    "dual_value": sol.dual_value, "method": "proximal",
                    "outer_iterations": sol.outer_iterations, "dual_steps": sol.inner_steps,
                    "converged": sol.converged, "message": sol.message, "t": sol.t}
        opts = {"step": 0.1, "steps": 20000, "tol": 1e-10, **given}
        system = dual_decomposition(self.composite, opts["step"], carry_primal=False)
        res = run_system(system, np.zeros(system.n), opts["steps"], step=opts["step"],
                         tol=opts["tol"])
        flows = recover_flows(self.composite, res.x)
        residual = self.composite.incidence() @ flows - self.composite.supply()
        return {"result": res, "multipliers": res.x, "flows": flows,
                "conservation": float(np.max(np.abs(residual), initial=0.0)),
                "cost": flow_cost(self.composite, flows), "dual_value": res.objective,
                "method": "dual", "outer_iterations": 1, "dual_steps": res.iterations,
                "converged": res.converged, "message": res.message}


def _err(name: str, table: str, key: str | None, message: str) -> SpecError:
    where = f"[{table}]" if table else "top level"
    if key is not None:
        where += f" key {key!r}"
    return SpecError(f"{name}: {where}: {message}")


def _numbers(name: str, table: str, key: str, v: Any) -> Any:
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise _err(name, table, key, f"expected a number or a list of numbers, got {v!r}"
                   ) from None
    if arr.ndim > 1:
        raise _err(name, table, key, "expected a number or a flat list of numbers")
    return arr


def flow_spec(name: str, data: dict[str, Any], d: UWD, title: str | None) -> FlowSpec:
    """Build a :class:`FlowSpec` from parsed TOML ``data`` and its diagram ``d``."""
    boxes = data.get("boxes", {})
    if not isinstance(boxes, dict):
        raise _err(name, "boxes", None, "expected one table per box, [boxes.NAME]")
    nets: dict[str, OpenFlowNetwork] = {}
    for bname, table in boxes.items():
        tname = f"boxes.{bname}"
        if bname not in d.boxes:
            raise _err(name, tname, None, f"no box {bname!r} in the relation; boxes are "
                                          f"{list(dict.fromkeys(d.boxes))}")
        if not isinstance(table, dict):
            raise _err(name, tname, None, "expected a table")
        for k in table:
            if k not in FLOW_BOX_KEYS:
                raise _err(name, tname, k, f"unknown key; expected one of "
                                           f"{sorted(FLOW_BOX_KEYS)}")
        for k in ("nodes", "edges"):
            if k not in table:
                raise _err(name, tname, k, "missing")
        nodes = table["nodes"]
        if not (isinstance(nodes, int) and not isinstance(nodes, bool) and nodes >= 0) and \
                not (isinstance(nodes, list) and all(isinstance(v, (str, int)) for v in nodes)):
            raise _err(name, tname, "nodes", f"expected a count or a list of node names, "
                                             f"got {nodes!r}")
        edges = table["edges"]
        if not isinstance(edges, list) or not all(isinstance(e, list) and len(e) == 2
                                                  for e in edges):
            raise _err(name, tname, "edges", "expected a list of [from, to] pairs")
        kw = {k: _numbers(name, tname, k, table[k]) for k in
              ("quadratic", "linear", "constant", "lower", "upper") if k in table}
        if "supply" in table:
            kw["supply"] = (table["supply"] if isinstance(table["supply"], dict)
                            else _numbers(name, tname, "supply", table["supply"]))
        ports = table.get("ports", [])
        if not isinstance(ports, list):
            raise _err(name, tname, "ports", "expected a list of nodes")
        try:
            nets[bname] = OpenFlowNetwork(nodes, [tuple(e) for e in edges], ports=ports,
                                          name=bname, **kw)
        except CatoptError as e:
            raise _err(name, tname, None, str(e)) from None
    missing = [b for b in dict.fromkeys(d.boxes) if b not in nets]
    if missing:
        raise _err(name, "boxes", None, f"no table for boxes {missing}")
    try:
        composite = compose(d, nets)
    except CatoptError as e:
        raise SpecError(f"{name}: {e}") from None
    solve = data.get("solve", {})
    if not isinstance(solve, dict):
        raise _err(name, "solve", None, "expected a table")
    opts: dict[str, Any] = {}
    for k, v in solve.items():
        if k not in FLOW_SOLVE_KEYS:
            raise _err(name, "solve", k, f"unknown key for a flow spec; expected one of "
                                         f"{sorted(FLOW_SOLVE_KEYS)}")
        if k == "method":
            if v not in FLOW_METHODS:
                raise _err(name, "solve", k, f"expected one of {list(FLOW_METHODS)}, got {v!r}")
            opts[k] = v
            continue
        want = _SOLVE_NUMBERS[k]
        try:
            opts[k] = (integer(v, k, minimum=1) if k == "steps" else
                       number(v, k, positive=True))  # finite: inf and nan refused too
        except CatoptError:
            raise _err(name, "solve", k, f"expected {want}, got {v!r}") from None
    return FlowSpec(name, d, nets, composite, opts, title)
