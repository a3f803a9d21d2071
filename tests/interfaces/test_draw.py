"""Drawings: DOT source always; real SVG/PNG/PDF when graphviz's dot is installed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import catopt as co
from catopt.category import copy, tensor_all
from catopt.interfaces.draw import draw, problem_dot, render, uwd_dot
from catopt.interfaces.draw_problem import distributed_dot
from tests.helpers.category import morphism
from tests.helpers.graphviz import needs_dot

D = co.relation("(x, y, z) :- f(w, x), g(u, w, y), h(u, w, z)", shapes={"w": (2,)})


def test_uwd_dot_has_every_box_and_junction() -> None:
    src = uwd_dot(D).source
    for b in D.boxes:
        assert f'label={b} shape=ellipse' in src
    for k, j in enumerate(D.junctions):  # each name a node beside its dot
        label = "w : 2" if j == "w" else j
        assert f'jl{k} [label="{label}"' in src or f"jl{k} [label={label} " in src
        assert f"j{k} -- jl{k} [len=0.15 style=invis]" in src
    assert src.count("outer") >= 6  # three invisible outer nodes and their wires
    assert "neato" in uwd_dot(D).engine


def test_port_labels_and_plain_two_port() -> None:
    d = co.relation("(a, b) :- f(a, c), g(c, b)")
    src = uwd_dot(d, port_labels=True, plain_two_port=True).source
    assert "box0 -- box1" in src and "label=c" in src  # c joins two ports: a plain edge
    assert "taillabel=1" in src


def test_problem_and_system_drawings(three_quadratics) -> None:
    comp = three_quadratics["composite"]
    src = problem_dot(comp).source
    assert "n=5; private 0, 2, 4" in src
    # ports are named by the coordinates they expose, as "private 0, 2, 4" is: f exposes
    # coordinates 1 (w) and 3 (x), not "0" and "1"
    src = problem_dot(comp, port_labels=True).source
    f_wires = [line for line in src.splitlines() if line.strip().startswith("box0 --")]
    assert sorted(w.split("taillabel=")[1].rstrip("]") for w in f_wires) == ["1", "3"]
    sys_src = distributed_dot(comp).source
    assert sys_src.count("+ grad") == 8  # f: w, x; g: u, w, y; h: u, w, z
    assert "outer0 -> agent0 [style=invis" in sys_src  # the system sits right of the problem
    # outer ports are visible ends of their wires, not invisible points
    assert sys_src.count("shape=circle width=0.08") == 3 and "style=invis width" not in sys_src
    with pytest.raises(co.CatoptError, match="is a leaf"):
        problem_dot(three_quadratics["problems"]["f"])


def test_string_diagram_source() -> None:
    r = np.random.default_rng(0)
    m = copy((2,), 3) >> tensor_all([morphism(r, [(2,)], [()], f"F{i}") for i in range(3)])
    src = draw(m).source
    assert "rankdir=LR" in src and src.count("shape=box") == 3
    assert src.count("in0 ->") == 1 and "out2" in src


def test_bad_format_and_object(tmp_path: Path) -> None:
    with pytest.raises(co.CatoptError, match="drawing format"):
        render(uwd_dot(D), tmp_path / "d.bmp")
    with pytest.raises(co.CatoptError, match="cannot draw a int"):
        draw(3)


def test_dot_output_needs_no_graphviz(tmp_path: Path) -> None:
    out = render(uwd_dot(D), tmp_path / "d.dot")
    assert out.read_text().startswith("graph uwd")


@needs_dot
@pytest.mark.parametrize("ext, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"),
                                        ("pdf", b"%PDF")])
def test_real_images(tmp_path: Path, ext: str, magic: bytes) -> None:
    path = tmp_path / f"d.{ext}"
    draw(D, path)
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 500
    if ext == "svg":
        text = data.decode()
        for name in list(D.boxes) + list(D.junctions):
            assert f">{name}" in text


@needs_dot
def test_jupyter_display() -> None:
    bundle = D._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    comp = co.compose(co.relation("(x,) :- f(x)"), [co.OpenProblem(lambda x: x[0] ** 2, 1, [0])])
    assert "svg" in comp._repr_mimebundle_()["image/svg+xml"]


def test_fallback_without_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import catopt.interfaces.draw as draw_module

    monkeypatch.setattr(draw_module, "have_dot", lambda: False)
    monkeypatch.setattr(draw_module, "_warned", False)
    with pytest.warns(UserWarning, match="'dot' program was not found"):
        draw(D, tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes().startswith(b"\x89PNG")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning per process, not one per drawing
        draw(D, tmp_path / "b.pdf")
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")


def test_the_figure_holds_every_node_and_wire(three_quadratics) -> None:
    """The neutral figure both renderers draw (graphviz, and matplotlib without ``dot``)."""
    fig = problem_dot(three_quadratics["composite"], port_labels=True).figure
    nodes, edges = fig.all_nodes(), fig.wires()
    d = three_quadratics["diagram"]
    labels = sorted(a.get("label") or a.get("xlabel", "") for a in nodes.values())
    assert [lab for lab in labels if lab] == sorted(
        [lab for lab in labels if "\n" in lab] + list(d.junctions))
    assert {lab.split("\n")[0] for lab in labels if "\n" in lab} == set(d.boxes)
    assert len(edges) == d.n_ports + len(d.outer)  # one wire per port and per outer port


def test_fallback_svg_names_every_box_and_junction(tmp_path: Path, monkeypatch) -> None:
    import matplotlib

    import catopt.interfaces.draw as draw_module

    monkeypatch.setattr(draw_module, "have_dot", lambda: False)
    monkeypatch.setattr(draw_module, "_warned", True)  # the warning was given already
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        draw(D, tmp_path / "a.svg")
    text = (tmp_path / "a.svg").read_text()
    for name in list(D.boxes) + ["x", "y", "z", "u", "w : 2"]:
        assert f">{name}<" in text, name


@needs_dot
def test_a_graphviz_failure_is_a_catopt_error(tmp_path: Path) -> None:
    g = uwd_dot(D)
    g.body.append("this is not { dot")
    with pytest.raises(co.CatoptError, match="graphviz could not draw"):
        render(g, tmp_path / "bad.svg")
    assert not (tmp_path / "bad.svg").exists()


def test_crossings_are_counted_and_shared_ends_are_not_crossings() -> None:
    from catopt.interfaces.draw import crossings

    pos = {"a": (0, 0), "b": (2, 2), "c": (0, 2), "d": (2, 0), "e": (4, 4)}
    assert crossings(pos, [("a", "b"), ("c", "d")]) == 1  # an X
    assert crossings(pos, [("a", "b"), ("b", "e"), ("a", "c")]) == 0  # meeting at ends
    assert crossings(pos, [("a", "c"), ("d", "b")]) == 0  # parallel


def _layout(graph) -> tuple[dict, list]:
    """Node boxes and wire polylines (spline control points) of graphviz's layout."""
    nodes, wires = {}, []
    for f in (line.split() for line in graph.pipe(format="plain").decode().splitlines()):
        if f and f[0] == "node":
            nodes[f[1]] = tuple(map(float, f[2:6]))  # x, y, width, height
        elif f and f[0] == "edge" and "invis" not in f:
            n = int(f[3])
            pts = [(float(f[4 + 2 * i]), float(f[5 + 2 * i])) for i in range(n)]
            wires.append((f[1], f[2], pts))
    return nodes, wires


@needs_dot
def test_no_junction_name_sits_on_a_wire_and_k_agents_do_not_cross(three_quadratics) -> None:
    from catopt.interfaces.draw import crossings

    b = co.UWDBuilder()
    b.junction("W1", (8, 6))
    b.junction("W2", (6, 3))
    for k in range(4):
        b.box(f"agent{k}", ["W1", "W2"])
    b.outer("W1", "W2")
    data_parallel = b.build()
    for d in (data_parallel, D, three_quadratics["diagram"]):
        graph = uwd_dot(d)
        nodes, wires = _layout(graph)
        centres = {k: v[:2] for k, v in nodes.items()}
        assert crossings(centres, [(a, c) for a, c, _ in wires]) == 0
        for name, (x, y, w, h) in nodes.items():
            if not name.startswith("jl"):
                continue
            for _, _, pts in wires:  # sample each wire's control polygon densely
                p = np.array(pts)
                seg = np.concatenate([p[i] + np.linspace(0, 1, 20)[:, None] * (p[i + 1] - p[i])
                                      for i in range(len(p) - 1)])
                inside = (np.abs(seg[:, 0] - x) < w / 2) & (np.abs(seg[:, 1] - y) < h / 2)
                assert not inside.any(), (name, d)
