"""Drawing a cellular sheaf: every vertex and edge stalk, every restriction map (read back
from its label), and the edges on which a cochain disagrees, checked against a dense
recomputation from the sheaf's data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import catopt as co
from catopt.interfaces.draw import draw
from catopt.interfaces.draw_sheaf import format_map
from catopt.sheaves import Sheaf
from tests.helpers.sheaves import dense_coboundary, sheaves


def _parse_map(text: str) -> np.ndarray:
    """``[1 0; 0 1]`` back to a matrix (the label's own grammar, read independently)."""
    assert text.startswith("[") and text.endswith("]"), text
    return np.array([[float(a) for a in row.split()] for row in text[1:-1].split(";")])


def _figure(graph):
    return graph.figure


@given(sheaves)
@settings(max_examples=30)
def test_every_stalk_and_map_is_drawn(case) -> None:
    sheaf, dims, edges = case
    fig = _figure(draw(sheaf, max_entries=100, digits=6))
    nodes = fig.all_nodes()
    for v, d in enumerate(dims):
        assert nodes[f"v{v}"]["label"].endswith(f"R^{d}")
    incidences = {}
    for a, b, attrs in fig.all_edges():
        incidences.setdefault(b, []).append((a, attrs["label"]))
    assert len(incidences) == len(edges)
    for e, (u, v, Fu, Fv) in enumerate(edges):
        assert nodes[f"e{e}"]["label"].endswith(f"R^{Fu.shape[0]}")
        (a, la), (b, lb) = incidences[f"e{e}"]
        assert (a, b) == (f"v{u}", f"v{v}")
        assert la[0] == "+" and lb[0] == "-"  # the sign of each block of delta
        np.testing.assert_allclose(_parse_map(la[1:]), Fu, atol=1e-6)
        np.testing.assert_allclose(_parse_map(lb[1:]), Fv, atol=1e-6)


@given(sheaves, st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_disagreeing_edges_are_filled(case, seed: int) -> None:
    sheaf, dims, edges = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(sheaf.n)
    x[rng.random(sheaf.n) < 0.5] = 0.0
    r = dense_coboundary(dims, edges) @ x
    offs = np.concatenate([[0], np.cumsum([Fu.shape[0] for _, _, Fu, _ in edges])])
    want = [np.linalg.norm(r[offs[e]:offs[e + 1]]) > 1e-6 for e in range(len(edges))]
    nodes = _figure(draw(sheaf, x=x)).all_nodes()
    filled = ["filled" in nodes[f"e{e}"]["style"] for e in range(len(edges))]
    assert filled == want
    # a global section (the projection of x) disagrees nowhere
    z = sheaf.project(x)
    nodes = _figure(draw(sheaf, x=z)).all_nodes()
    assert not any("filled" in nodes[f"e{e}"]["style"] for e in range(len(edges)))


def test_targets_shift_what_agrees_and_large_maps_show_their_shape() -> None:
    s = Sheaf({"a": 2, "b": 2}, [("a", "b", np.eye(2), np.eye(2))])
    x = np.array([5.0, 5.0, 0.0, 0.0])  # a - b = (5, 5): a formation offset
    nodes = _figure(draw(s, x=x, b=[5.0, 5.0])).all_nodes()
    assert "filled" not in nodes["e0"]["style"]
    assert "filled" in _figure(draw(s, x=x)).all_nodes()["e0"]["style"]
    assert format_map(np.eye(5)) == "5x5 map"
    assert format_map(np.array([[1.0, -0.5, 0.0]])) == "[1 -0.5 0]"


def test_a_sheaf_drawing_renders(tmp_path: Path) -> None:
    s = co.sheaves.sheaf("x::Stalk{2}, y::Stalk{2}\nA(x) == A(y)", {"A": np.eye(2)})
    out = draw(s, tmp_path / "sheaf.svg")
    assert (tmp_path / "sheaf.svg").stat().st_size > 0 and "R^2" in out.source


def test_bad_drawing_input_is_named() -> None:
    s = Sheaf({"a": 2, "b": 1}, [("a", "b", np.eye(2)[:1], np.eye(1))])
    with pytest.raises(co.CatoptError, match="must be a 0-cochain of length 3"):
        draw(s, x=np.zeros(2))
    with pytest.raises(co.CatoptError, match="only with a cochain x"):
        draw(s, b=[1.0])
    from catopt.interfaces.draw_sheaf import sheaf_dot

    with pytest.raises(co.CatoptError, match="sheaf_dot draws a Sheaf, got int"):
        sheaf_dot(3)


@pytest.mark.parametrize("kwargs, match", [
    ({"digits": "a"}, r"digits must be an int >= 0, got 'a'"),
    ({"digits": -1}, r"digits must be an int >= 0"),
    ({"digits": 2.0}, r"digits must be an int >= 0"),
    ({"max_entries": "a"}, r"max_entries must be an int >= 1, got 'a'"),
    ({"max_entries": 0}, r"max_entries must be an int >= 1"),
    ({"tol": "a"}, r"tol must be a number, got 'a'"),
    ({"tol": -1e-3}, r"tol must be >= 0"),
    ({"tol": np.nan}, r"tol must be a finite number"),
])
def test_bad_drawing_options_are_named(kwargs, match) -> None:
    s = Sheaf({"a": 2, "b": 1}, [("a", "b", np.eye(2)[:1], np.eye(1))])
    with pytest.raises(co.CatoptError, match=match):
        draw(s, x=np.zeros(3), **kwargs)


def test_format_map_checks_its_options() -> None:
    with pytest.raises(co.CatoptError, match="digits"):
        format_map(np.eye(2), digits=None)
    with pytest.raises(co.CatoptError, match="max_entries"):
        format_map(np.eye(2), max_entries=-2)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_cochain_fills_the_edges_it_touches(bad: float) -> None:
    """x on the path a - b - c with a non-finite value at c: edge b-c (which reads c) is
    drawn as disagreeing with its non-finite gap printed; a-b (which agrees) is not."""
    s = Sheaf({"a": 1, "b": 1, "c": 1}, [("a", "b", np.eye(1), np.eye(1)),
                                         ("b", "c", np.eye(1), np.eye(1))])
    with np.errstate(invalid="ignore"):
        nodes = _figure(draw(s, x=[1.0, 1.0, bad])).all_nodes()
    assert "filled" not in nodes["e0"]["style"]
    assert "filled" in nodes["e1"]["style"]
    assert ("nan" if np.isnan(bad) else "inf") in nodes["e1"]["label"]
