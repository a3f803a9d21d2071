"""Spec files: the bundled spec, each family against a closed form, every error path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import catopt as co
from catopt.interfaces.spec import load_spec, loads_spec


def test_bundled_spec_reaches_the_linear_solve(spec_path: Path, three_quadratics) -> None:
    from examples.three_quadratics import linear_solution

    s = load_spec(spec_path)
    assert s.diagram == three_quadratics["diagram"]
    r = co.solve(s.composite, **s.solve)
    np.testing.assert_allclose(r.x, linear_solution(three_quadratics), atol=1e-8)


def test_least_squares_with_files_matches_lstsq(write_spec, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    A1, A2 = rng.standard_normal((6, 3)), rng.standard_normal((5, 3))
    b1, b2 = rng.standard_normal(6), rng.standard_normal(5)
    np.save(tmp_path / "A1.npy", A1)
    np.savetxt(tmp_path / "b2.csv", b2, delimiter=",")
    text = f"""
relation = "(a, b, c) :- p(a, b, c), q(a, b, c)"
[boxes.p]
objective = "least_squares"
A = "A1.npy"
b = {b1.tolist()}
ports = [0, 1, 2]
[boxes.q]
objective = "least_squares"
A = {A2.tolist()}
b = "b2.csv"
ports = [0, 1, 2]
"""
    s = load_spec(write_spec(text))
    r = co.solve(s.composite, step=None, steps=20000, tol=1e-10)
    exact = np.linalg.lstsq(np.vstack([A1, A2]), np.concatenate([b1, b2]), rcond=None)[0]
    np.testing.assert_allclose(r.x, exact, atol=1e-8)


def test_logistic_gradient_is_exact(write_spec) -> None:
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((20, 3)), (rng.random(20) > 0.5).astype(float)
    s = load_spec(write_spec(f"""
relation = "(w0,) :- L(w0)"
[boxes.L]
objective = "logistic"
X = {X.tolist()}
y = {y.tolist()}
l2 = 0.5
ports = [0]
"""))
    p = s.problems["L"]
    w = rng.standard_normal(3)
    h = 1e-6
    fd = [(p.objective(w + h * e) - p.objective(w - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(p.gradient(w), fd, rtol=1e-6, atol=1e-7)
    ys = np.where(y > 0, 1, -1)
    assert p.objective(w) == pytest.approx(np.sum(np.log1p(np.exp(-ys * (X @ w))))
                                           + 0.25 * w @ w)


GOOD = """
relation = "(x,) :- f(x, y)"
[boxes.f]
objective = "quadratic"
size = 2
ports = [0, 1]
P = [[1.0, 0.0], [0.0, 1.0]]
a = [0.0, 1.0]
"""


@pytest.mark.parametrize(
    "old, new, match",
    [
        ("size = 2", 'size = "three"', r"\[boxes.f\] key 'size': expected an integer"),
        ("size = 2", "size = 3", r"key 'size': is 3 but 'a' has 2"),
        ("ports = [0, 1]", "ports = [0, 5]", r"key 'ports': entry 1 is 5"),
        ("ports = [0, 1]", "ports = [0]", "box 'f' has 2 ports"),
        ('objective = "quadratic"', 'objective = "cubic"', r"key 'objective': expected one of"),
        # found by atheris: an inline table where a family name belongs
        ('objective = "quadratic"', "objective = { a = 1 }", r"key 'objective': expected one"),
        ("P = [[1.0, 0.0], [0.0, 1.0]]", "P = [[1.0]]", r"key 'P': expected a 2x2 matrix"),
        ("P = [[1.0, 0.0], [0.0, 1.0]]", 'P = "nope.npy"', r"key 'P': data file 'nope.npy' not"),
        ("P = [[1.0, 0.0], [0.0, 1.0]]", 'P = "../../etc/x.npy"', "leaves the spec's folder"),
        ("P = [[1.0, 0.0], [0.0, 1.0]]", 'P = [["a"]]', r"key 'P': expected a matrix"),
        ("a = [0.0, 1.0]", "a = [0.0, nan]", "finite"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\ncolour = 3", r"key 'colour': unknown key"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x :- f(x, y)"', r"key 'relation'"),
        ('relation = "(x,) :- f(x, y)"', "", r"key 'relation': missing"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x,) :- f(x, y), g(y)"',
         r"no table for boxes \['g'\]"),
        ("[boxes.f]", "[boxes.k]", r"\[boxes.k\]: no box 'k'"),
        ("[boxes.f]", "speed = 1\n[boxes.f]", r"key 'speed': unknown key"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nsteps = -1", r"\[solve\] key 'steps'"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nstep = 0", r"key 'step': expected a positive"),
        ("a = [0.0, 1.0]", 'a = [0.0, 1.0]\n[solve]\nengine = "gpu"', r"key 'engine'"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nmagic = 1", r"\[solve\] key 'magic'"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nx0 = { x = \"a\" }", r"\[solve.x0\] key 'x'"),
        ("size = 2", "size = = 2", "not valid TOML"),
    ],
)
def test_spec_errors_name_file_table_and_key(write_spec, old: str, new: str, match: str) -> None:
    assert old in GOOD
    path = write_spec(GOOD.replace(old, new, 1))
    with pytest.raises(co.SpecError, match=match) as info:
        load_spec(path)
    assert str(path) in str(info.value)


def test_python_boxes_need_allow_import(write_spec, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "mymod.py").write_text(
        "import catopt as co\n"
        "def make(scale=1.0):\n"
        "    return co.OpenProblem(lambda x: scale * (x[0] - 2) ** 2, 1, ports=[0])\n"
        "def bad():\n    return 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    text = 'relation = "(x,) :- f(x)"\n[boxes.f]\nobjective = "python"\n' \
           'function = "mymod:make"\nscale = 2.0\n'
    path = write_spec(text)
    with pytest.raises(co.SpecError, match="only with --allow-import"):
        load_spec(path)
    s = load_spec(path, allow_import=True)
    assert s.composite.objective([3.0]) == pytest.approx(2.0)
    with pytest.raises(co.SpecError, match="returned int, expected an OpenProblem"):
        load_spec(write_spec(text.replace("make", "bad").replace("scale = 2.0\n", "")),
                  allow_import=True)
    with pytest.raises(co.SpecError, match="cannot import 'nomod:make'"):
        load_spec(write_spec(text.replace("mymod", "nomod")), allow_import=True)


def test_npy_with_pickles_is_refused(write_spec, tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    path = write_spec(GOOD.replace("P = [[1.0, 0.0], [0.0, 1.0]]", 'P = "obj.npy"'))
    with pytest.raises(co.SpecError, match="cannot read 'obj.npy'"):
        load_spec(path)


def test_outside_paths_allowed_on_request(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    np.save(tmp_path / "P.npy", np.eye(2))
    (inner / "s.toml").write_text(GOOD.replace("P = [[1.0, 0.0], [0.0, 1.0]]", 'P = "../P.npy"'))
    with pytest.raises(co.SpecError, match="leaves the spec's folder"):
        load_spec(inner / "s.toml")
    assert load_spec(inner / "s.toml", allow_outside=True).composite.n == 2


def test_missing_file_and_size_limit(tmp_path: Path) -> None:
    with pytest.raises(co.SpecError, match="spec file not found"):
        load_spec(tmp_path / "none.toml")
    with co.limits(max_text=10), pytest.raises(co.LimitError, match="spec"):
        loads_spec(GOOD)


@settings(max_examples=200, deadline=2000)
@given(st.text(max_size=200))
def test_fuzz_arbitrary_text(text: str) -> None:
    try:
        loads_spec(text)
    except co.CatoptError:
        pass


@settings(max_examples=200, deadline=2000)
@given(st.integers(0, 10_000), st.sampled_from(list('[]{}"=,.0123456789abcxyz -\n#')))
def test_fuzz_mutations_of_a_valid_spec(pos: int, char: str) -> None:
    text = GOOD[: pos % len(GOOD)] + char + GOOD[pos % len(GOOD) + 1:]
    try:
        loads_spec(text)
    except co.CatoptError:
        pass
