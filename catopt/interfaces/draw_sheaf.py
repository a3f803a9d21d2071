"""Drawing a cellular sheaf: its graph, with the stalk dimensions and the restriction maps.

Each vertex ``v`` is a circle labelled with its name and stalk ``R^{d_v}``; each edge ``e`` is
a small box between its two vertices, labelled with its name and stalk ``R^{d_e}``; each
incidence ``v <| e`` is a line from the vertex to the edge's box labelled with the restriction
map ``F_{v <| e}`` (its rows, when it has at most ``max_entries`` entries; else its shape).
The sign convention is the sheaf's own: ``(delta x)_e = F_u x_u - F_v x_v`` with ``u`` the
first vertex of the edge, drawn with a ``+`` and ``v`` with a ``-``.

Given a 0-cochain ``x`` (and a target ``b``), each edge's box also shows its discrepancy
``|(delta x - b)_e|``, the amount by which the two vertices disagree over that edge, and is
filled when the discrepancy exceeds ``tol`` or is not finite (a NaN or infinite cochain:
those edges are drawn as disagreeing, with the ``nan`` or ``inf`` printed): a global section
(``delta x = b``) draws no filled box.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catopt.errors import CatoptError
from catopt.interfaces.figure import Figure
from catopt.sheaves.sheaf import Sheaf
from catopt.validate import integer, number

__all__ = ["sheaf_dot", "format_map"]


def format_map(F: np.ndarray, *, digits: int = 2, max_entries: int = 16) -> str:
    """A restriction map as text: ``[1 0 0 0; 0 0 1 0]`` (rows separated by ``;``), or its
    shape ``2x4 map`` when it has more than ``max_entries`` entries.

    Entries are printed with at most ``digits`` decimals (an int >= 0), trailing zeros
    dropped; ``max_entries`` is an int >= 1.
    """
    digits = integer(digits, "digits", minimum=0)
    max_entries = integer(max_entries, "max_entries", minimum=1)
    F = np.asarray(F, dtype=float)
    if F.size > max_entries:
        return f"{F.shape[0]}x{F.shape[1]} map"

    def entry(a: float) -> str:
        text = f"{a:.{digits}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text

    return "[" + "; ".join(" ".join(entry(a) for a in row) for row in F) + "]"


def sheaf_dot(sheaf: Sheaf, x: Any = None, b: Any = None, *, digits: int = 2,
              max_entries: int = 16, tol: float = 1e-6) -> Any:
    """The graphviz graph of ``sheaf`` (see the module docstring).

    Parameters
    ----------
    sheaf : Sheaf
        The sheaf to draw.
    x : array_like, optional
        A 0-cochain (length ``sheaf.n``, vertices in order); each edge then shows
        ``|(delta x - b)_e|``.
    b : array_like, optional
        The edge target (a 1-cochain of length ``sheaf.m``); default 0.
    digits : int
        Decimals of the printed map entries and discrepancies (>= 0).
    max_entries : int
        Maps with more entries are shown by their shape (>= 1).
    tol : float
        Edges whose discrepancy exceeds ``tol`` (>= 0) or is not finite are filled.

    Raises
    ------
    CatoptError
        For a non-Sheaf, a bad ``digits``, ``max_entries`` or ``tol``, or a target ``b``
        without ``x`` (a :class:`~catopt.sheaves.SheafError` for a cochain of the wrong
        length).
    """
    if not isinstance(sheaf, Sheaf):
        raise CatoptError(f"sheaf_dot draws a Sheaf, got {type(sheaf).__name__}")
    digits = integer(digits, "digits", minimum=0)
    max_entries = integer(max_entries, "max_entries", minimum=1)
    tol = number(tol, "tol", nonnegative=True)
    gap = None
    if x is not None:
        r = sheaf.delta(x) - sheaf.target(b)
        gap = np.sqrt(np.add.reduceat(r**2, sheaf.edge_offsets[:-1])) if sheaf.m else r
    elif b is not None:
        raise CatoptError("b (the edge target) is drawn only with a cochain x")
    g = Figure(name="sheaf", engine="neato",
               graph_attrs={"overlap": "false", "splines": "true", "fontsize": "10"},
               node_attrs={"fontsize": "10"}, edge_attrs={"fontsize": "8"})
    for v, (name, d) in enumerate(zip(sheaf.vertex_names, sheaf.vertex_dims.tolist(),
                                      strict=True)):
        g.node(f"v{v}", f"{name}\nR^{d}", shape="circle")
    for e, (u, v, Fu, Fv) in enumerate(sheaf.to_dense_blocks()):
        label = f"{sheaf.edge_names[e]}\nR^{int(sheaf.edge_dims[e])}"
        attrs: dict[str, str] = {"shape": "box", "style": "rounded"}
        if gap is not None:
            label += f"\n|gap| {gap[e]:.{digits}e}"
            if not gap[e] <= tol:  # NaN and inf disagree too
                attrs.update(style="rounded,filled", fillcolor="mistyrose")
        g.node(f"e{e}", label, **attrs)
        g.edge(f"v{u}", f"e{e}",
               label="+" + format_map(Fu, digits=digits, max_entries=max_entries))
        g.edge(f"v{v}", f"e{e}",
               label="-" + format_map(Fv, digits=digits, max_entries=max_entries))
    return g.to_graphviz()
