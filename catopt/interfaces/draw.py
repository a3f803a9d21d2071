"""Drawings of undirected wiring diagrams with graphviz, in Catlab's convention.

Boxes are ellipses with their names, junctions small black dots labelled with the variable
name, outer ports dangling wires; the layout is neato. Composite problems are drawn with
their boxes annotated by sizes and shapes. Output format follows the file's extension (SVG,
PNG, PDF, or DOT source). Every drawing is built once as a neutral
:class:`~catopt.interfaces.figure.Figure`; graphviz renders it, and without the ``dot``
program networkx and matplotlib do, with one warning.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

from catopt.errors import CatoptError
from catopt.fileio import atomic_write
from catopt.interfaces.figure import Figure, render_matplotlib
from catopt.wiring.uwd import UWD

__all__ = ["uwd_dot", "uwd_figure", "problem_dot", "box_notes", "render", "draw", "have_dot",
           "crossings", "FORMATS"]

FORMATS = ("svg", "png", "pdf", "dot", "gv")
_warned = False


def have_dot() -> bool:
    """Whether graphviz's ``dot`` program is installed."""
    return shutil.which("dot") is not None


def _shape_text(shape: tuple[int, ...]) -> str:
    return "" if shape == () else "x".join(map(str, shape))


def uwd_dot(d: UWD, **kwargs: Any) -> Any:
    """The graphviz ``Graph`` of ``d`` (neato layout): :func:`uwd_figure` (same keywords)
    rendered."""
    return uwd_figure(d, **kwargs).to_graphviz()


def uwd_figure(
    d: UWD,
    *,
    port_labels: bool = False,
    plain_two_port: bool = False,
    box_notes: dict[int, str] | None = None,
    title: str | None = None,
    port_names: dict[int, list[str]] | None = None,
) -> Figure:
    """The drawing of ``d`` as a :class:`~catopt.interfaces.figure.Figure` (neato layout).

    ``port_labels`` labels each wire at its box with the port number, or with
    ``port_names[box][port]`` when given (a problem's drawing names each port by the
    coordinate or variable of the box it exposes); ``plain_two_port`` draws a junction
    touched by exactly two ports (outer ports included) as a plain labelled edge;
    ``box_notes`` adds a second line to box labels (sizes, shapes).
    """
    g = Figure(name="uwd", engine="neato")
    g.attr(overlap="false", splines="true", sep="+12", fontname="Helvetica")
    if title:
        g.attr(label=title, labelloc="t", fontsize="14")
    g.attr("node", fontname="Helvetica", fontsize="12")
    g.attr("edge", fontname="Helvetica", fontsize="9")
    # incidences of each junction: (kind, index, port)
    touches: dict[int, list[tuple[str, int, int]]] = {j: [] for j in range(len(d.junctions))}
    for b, ports in enumerate(d.box_port_indices):
        for p, j in enumerate(ports):
            touches[j].append(("box", b, p))
    for o, j in enumerate(d.outer_indices):
        touches[j].append(("outer", o, o))
    for b, name in enumerate(d.boxes):
        label = name if not box_notes or b not in box_notes else f"{name}\n{box_notes[b]}"
        g.node(f"box{b}", label=label, shape="ellipse")
    for o in range(len(d.outer_indices)):
        g.node(f"outer{o}", label="", shape="point", width="0.01", style="invis")
    for j, name in enumerate(d.junctions):
        shape = _shape_text(d.junction_shapes[j])
        text = f"{name} : {shape}" if shape else name
        ends = touches[j]
        if plain_two_port and len(ends) == 2:
            (k1, i1, p1), (k2, i2, p2) = ends
            def name(k: str, i: int, p: int) -> str:
                if not (port_labels and k == "box"):
                    return ""
                return port_names[i][p] if port_names else str(p)

            g.edge(f"{k1}{i1}", f"{k2}{i2}", label=text, taillabel=name(k1, i1, p1),
                   headlabel=name(k2, i2, p2))
            continue
        g.node(f"j{j}", label="", shape="point", width="0.09", color="black")
        # the name is a node of its own beside the dot, held close by an invisible short
        # edge: neato routes the wires around nodes, so no wire runs through a name (an
        # xlabel was placed after routing and often sat on a wire)
        g.node(f"jl{j}", label=text, shape="plaintext", fontsize="11", margin="0.02",
               width="0", height="0")
        g.edge(f"j{j}", f"jl{j}", style="invis", len="0.15")
        for kind, i, p in ends:
            label = port_names[i][p] if port_names and kind == "box" else str(p)
            attrs = {"taillabel": label} if port_labels and kind == "box" else {}
            g.edge(f"{kind}{i}", f"j{j}", **attrs)
    _fewest_crossings(g)
    return g


def crossings(pos: dict[str, tuple[float, float]], edges: list[tuple[str, str]]) -> int:
    """How many pairs of wires cross in a layout.

    Each wire is the segment between its ends' centres ``pos[a]``, ``pos[b]``; wires sharing
    an end meet there, which is not a crossing, and ends missing from ``pos`` are ignored.
    Two segments ``p + t r`` and ``q + w s`` cross when ``0 < t, w < 1`` (strictly, up to
    1e-6) with ``t = (q - p) x s / (r x s)`` and ``w = (q - p) x r / (r x s)``.
    """
    import numpy as np

    segs = np.array([(*pos[a], *pos[b]) for a, b in edges if a in pos and b in pos])
    if len(segs) < 2:
        return 0
    ends = [(a, b) for a, b in edges if a in pos and b in pos]
    p, r = segs[:, None, :2], segs[:, None, 2:] - segs[:, None, :2]
    q, s = segs[None, :, :2], segs[None, :, 2:] - segs[None, :, :2]

    def cross(u: Any, v: Any) -> Any:
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    den = cross(r, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = cross(q - p, s) / den
        w = cross(q - p, r) / den
    hit = (np.abs(den) > 1e-12) & (t > 1e-6) & (t < 1 - 1e-6) & (w > 1e-6) & (w < 1 - 1e-6)
    shared = np.array([[bool({a, b} & {c, d}) for c, d in ends] for a, b in ends])
    return int(np.triu(hit & ~shared, 1).sum())


def _fewest_crossings(fig: Figure, tries: int = 32, max_wires: int = 80) -> None:
    """Pick, among up to ``tries`` neato starting layouts, the first without crossing wires,
    else the one whose wires cross least (neato's first try often crosses wires that a planar
    layout would not, e.g. K agents sharing two junctions); sets the figure's ``start``.
    Skipped without ``dot`` and for drawings of more than ``max_wires`` wires (each try is a
    layout)."""
    if not have_dot():
        return
    import subprocess

    edges = fig.wires()
    if len(edges) > max_wires:
        return
    g = fig.to_graphviz()
    best: tuple[int, int] | None = None
    for seed in range(1, tries + 1):
        trial = g.copy()
        trial.attr(start=str(seed))
        try:
            plain = trial.pipe(format="plain").decode("utf-8", "replace")
        except (subprocess.CalledProcessError, OSError):
            return
        pos = {f[1]: (float(f[2]), float(f[3])) for f in
               (line.split() for line in plain.splitlines()) if f and f[0] == "node"}
        score = crossings(pos, edges)
        if best is None or score < best[0]:
            best = (score, seed)
        if score == 0:
            break
    if best is not None:
        fig.attr(start=str(best[1]))


def box_notes(problem: Any) -> tuple[dict[int, str], dict[int, list[str]]]:
    """For a composite's drawing: each box's note (its size and private variables) and the
    name of each of its ports in the box's own space: the coordinate index it exposes
    (integer spaces, the same numbers as "private 0, 2, 4") or the variable name."""
    notes, port_names = {}, {}
    for b, comp in enumerate(problem.components.values()):
        private = [f"{n}:{_shape_text(s)}" if s else n for v, (n, s) in
                   enumerate(zip(comp.space.names, comp.space.shapes, strict=True))
                   if v not in comp.port_variables]
        note = f"n={comp.n}"
        if private:
            shown = ", ".join(private[:3]) + (", ..." if len(private) > 3 else "")
            note += f"; private {shown}"
        notes[b] = note
        port_names[b] = [str(p) for p in comp.ports]
    return notes, port_names


def problem_dot(problem: Any, **kwargs: Any) -> Any:
    """The diagram of a composite problem or system, boxes annotated with their sizes and
    the shapes of their private variables, ports named as in their box's own space."""
    d = problem.diagram
    if d is None:
        raise CatoptError(f"{problem!r} is a leaf, not a composite: it has no diagram to draw")
    notes, port_names = box_notes(problem)
    return uwd_dot(d, box_notes=notes, port_names=port_names, **kwargs)


def _format_of(path: Path, fmt: str | None) -> str:
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise CatoptError(
            f"cannot tell the drawing format of {str(path)!r}: use one of "
            f"{', '.join('.' + f for f in FORMATS)} or give format="
        )
    return fmt


def render(graph: Any, path: str | Path, fmt: str | None = None) -> Path:
    """Write a graphviz graph to ``path`` (format from the extension), atomically."""
    path = Path(path)
    fmt = _format_of(path, fmt)
    if fmt in ("dot", "gv"):
        atomic_write(path, graph.source)
        return path
    if not have_dot():
        return _fallback(graph, path, fmt)
    import subprocess

    import graphviz

    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        return _fallback(graph, path, fmt)
    except subprocess.CalledProcessError as e:
        err = (e.stderr or b"").decode("utf-8", "replace").strip()
        raise CatoptError(f"graphviz could not draw {str(path)!r}: {err or e}") from None
    atomic_write(path, data)
    return path


def _fallback(graph: Any, path: Path, fmt: str) -> Path:
    """Without ``dot``: the drawing's figure rendered by networkx and matplotlib (one warning
    per process)."""
    global _warned
    fig = getattr(graph, "figure", None)
    if not isinstance(fig, Figure):
        raise CatoptError(f"graphviz's 'dot' program is needed to draw {str(path)!r} (this "
                          f"graph was not made by catopt, so it has no figure to draw instead)")
    if not _warned:
        warnings.warn(
            "graphviz's 'dot' program was not found; drawing with networkx and matplotlib "
            "instead (install graphviz for Catlab-style drawings)",
            stacklevel=3,
        )
        _warned = True
    return render_matplotlib(fig, path, fmt)


def draw(obj: Any, path: str | Path | None = None, *, format: str | None = None,
         **kwargs: Any) -> Any:
    """Draw a UWD, a composite problem or system, a flow network (``flows=`` labels its
    edges), a cellular sheaf (``x=`` shows each edge's discrepancy), or a morphism
    expression.

    Returns the graphviz graph; with ``path``, also writes it (format from the extension).
    """
    from catopt.category.morphism import Morphism
    from catopt.problems.flows import OpenFlowNetwork
    from catopt.sheaves.sheaf import Sheaf

    if isinstance(obj, UWD):
        graph = uwd_dot(obj, **kwargs)
    elif isinstance(obj, OpenFlowNetwork):
        from catopt.interfaces.draw_flow import flow_dot

        graph = flow_dot(obj, **kwargs)
    elif isinstance(obj, Sheaf):
        from catopt.interfaces.draw_sheaf import sheaf_dot

        graph = sheaf_dot(obj, **kwargs)
    elif isinstance(obj, Morphism):
        from catopt.interfaces.string_diagram import string_diagram_dot

        graph = string_diagram_dot(obj, **kwargs)
    elif hasattr(obj, "diagram"):
        graph = problem_dot(obj, **kwargs)
    else:
        raise CatoptError(f"cannot draw a {type(obj).__name__}; expected a UWD, a composite "
                          "problem or system, a flow network, a Sheaf or a Morphism")
    if path is not None:
        render(graph, path, format)
    return graph


def mimebundle(obj: Any) -> dict[str, str]:
    """Jupyter display: an SVG drawing (or the DOT source when ``dot`` is missing)."""
    try:
        graph = draw(obj)
    except CatoptError:
        return {"text/plain": repr(obj)}
    if have_dot():
        return {"image/svg+xml": graph.pipe(format="svg").decode("utf-8"),
                "text/plain": repr(obj)}
    return {"text/plain": repr(obj) + "\n" + graph.source}
