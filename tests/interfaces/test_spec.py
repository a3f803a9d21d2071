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
        ("ports = [0, 1]", "ports = [0]",
         r"\[boxes.f\] key 'ports': the box exposes 1 ports but box 'f' has 2"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x,) :- f(x, y)"\n[shapes]\ny = [2]',
         r"\[boxes.f\] key 'ports': port 1 has shape \(\) but junction 'y' has shape \(2,\)"),
        ("ports = [0, 1]", "ports = 1", r"key 'ports': expected a list"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x,) :- f(x, y)"\n[shapes]\ny = "ab"',
         r"\[shapes\] key 'y': expected a non-negative integer or a list"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x,) :- f(x, y)"\n[shapes]\ny = [2, -1]',
         r"\[shapes\] key 'y': expected a non-negative integer or a list"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x,) :- f(x, y)"\n[shapes]\ny = true',
         r"\[shapes\] key 'y': expected a non-negative integer or a list"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x,) :- f(x, y)"\n[shapes]\ny = [[2]]',
         r"\[shapes\] key 'y': expected a non-negative integer or a list"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x,) :- f(x, y)"\n[shapes]\nq = 2',
         r"\[shapes\] key 'q': no junction 'q' in the relation; junctions are \['x', 'y'\]"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x,) :- f(x, y)"\nshapes = 3',
         r"\[shapes\]: expected a table"),
        ('relation = "(x,) :- f(x, y)"', "relation = 3", r"key 'relation': expected a string"),
        ('relation = "(x,) :- f(x, y)"', 'relation = "(x,) :- f(x, y)"\ntitle = 3',
         r"top level key 'title': expected a string"),
        ("size = 2", "size = 0", r"key 'size': expected an integer >= 1"),
        ("a = [0.0, 1.0]", "a = [0.0, true]", r"key 'a': expected a vector of numbers"),
        ("a = [0.0, 1.0]", "a = [0.0, 1" + "0" * 400 + "]", r"key 'a': expected a vector of num"),
        ("a = [0.0, 1.0]", "a = 1979-05-27", r"key 'a': expected a vector of numbers"),
        ("a = [0.0, 1.0]", "a = [[0.0], [1.0, 2.0]]", r"key 'a': .*rows of equal length"),
        ("a = [0.0, 1.0]", "a = [[0.0, 1.0], [1.0, 2.0]]", r"key 'a': expected a vector, got an"),
        ("P = [[1.0, 0.0], [0.0, 1.0]]", 'P = "P.txt"', r"key 'P': .* must be .npy, .csv or"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nstep = 1" + "0" * 400,
         r"key 'step': expected a finite number, got an integer of 401 digits"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\ntol = -1.0",
         r"\[solve\] key 'tol': expected a non-negative"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nworkers = 0", r"\[solve\] key 'workers'"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\ncheckpoint_every = 0",
         r"\[solve\] key 'checkpoint_every'"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\ncheckpoint = [1]",
         r"\[solve\] key 'checkpoint': expected a folder name"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nx0 = [1.0]",
         r"\[solve\] key 'x0': has 1 entries; expected 2"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nx0 = { q = 1.0 }",
         r"\[solve.x0\] key 'q': is neither a coordinate label"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nx0 = [1.0, \"a\"]",
         r"\[solve\] key 'x0': expected a number"),
        ("a = [0.0, 1.0]", "a = [0.0, 1.0]\n[solve]\nx0 = \"a\"", r"\[solve\] key 'x0'"),
        ("[boxes.f]", "boxes.f = 3\n[boxes.g]", r"\[boxes.f\]: expected a table"),
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


def test_top_level_tables_that_are_not_tables() -> None:
    with pytest.raises(co.SpecError, match=r"\[boxes\]: expected one table per box"):
        loads_spec('relation = "(x,) :- f(x)"\nboxes = 3\n')
    with pytest.raises(co.SpecError, match=r"\[solve\]: expected a table"):
        loads_spec(GOOD.replace('relation = "(x,) :- f(x, y)"',
                                'relation = "(x,) :- f(x, y)"\nsolve = 1'))


def test_least_squares_and_logistic_shape_errors(write_spec) -> None:
    base = 'relation = "(x,) :- f(x)"\n[boxes.f]\nports = [0]\n'
    cases = [
        ('objective = "least_squares"\nA = [[1.0], [2.0]]\nb = [1.0]',
         r"\[boxes.f\] key 'b': has 1 entries but 'A' has 2 rows"),
        ('objective = "least_squares"\nA = [[1.0]]\nb = [1.0]\nsize = 2',
         r"key 'size': is 2 but the data give 1"),
        ('objective = "logistic"\nX = [[1.0], [2.0]]\ny = [1.0]',
         r"\[boxes.f\] key 'y': has 1 labels but 'X' has 2 rows"),
        ('objective = "logistic"\nX = [[1.0]]\ny = [1.0]\nl2 = "big"', r"key 'l2': expected"),
        ('objective = "least_squares"\nb = [1.0]', r"key 'A': missing"),
    ]
    for body, match in cases:
        path = write_spec(base + body + "\n")
        with pytest.raises(co.SpecError, match=match):
            load_spec(path)


def test_npz_members_and_broken_data_files(write_spec, tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", P=2 * np.eye(2), o=np.array([{}], dtype=object))
    (tmp_path / "empty.npy").write_bytes(b"")
    np.savez(tmp_path / "zip.npz", P=np.eye(2))
    (tmp_path / "zip.npy").write_bytes((tmp_path / "zip.npz").read_bytes())
    (tmp_path / "t.csv").write_text("a,b\nc,d\n")
    old = "P = [[1.0, 0.0], [0.0, 1.0]]"
    s = load_spec(write_spec(GOOD.replace(old, 'P = "d.npz:P"')))
    np.testing.assert_allclose(s.composite.objective([1.0, 2.0]), 2 * 5.0 + 2.0)
    for ref, match in [("d.npz", r"key 'P': name the array inside 'd.npz'.*\['P', 'o'\]"),
                       ("d.npz:Q", r"name the array inside"),
                       ("d.npz:o", r"cannot read 'd.npz': it holds Python objects \(pickles\)"),
                       ("empty.npy", r"cannot read 'empty.npy'"),
                       ("zip.npy", r"cannot read 'zip.npy': the magic string"),
                       ("t.csv", r"cannot read 't.csv'"),
                       ("../d.npz:P", "leaves the spec's folder")]:
        with pytest.raises(co.SpecError, match=match):
            load_spec(write_spec(GOOD.replace(old, f'P = "{ref}"')))
    with co.limits(max_text=200), pytest.raises(co.CatoptError, match="'d.npz' .* over the limi"):
        load_spec(write_spec(GOOD.replace(old, 'P = "d.npz:P"')))


def _lying_npy(shape: tuple[int, ...]) -> bytes:
    """A .npy file whose header claims ``shape`` but which holds 16 bytes of data."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue() + bytes(16)


def test_a_lying_npy_header_allocates_nothing(write_spec, tmp_path: Path) -> None:
    import zipfile

    (tmp_path / "big.npy").write_bytes(_lying_npy((10**12,)))
    (tmp_path / "short.npy").write_bytes(_lying_npy((1000, 3)))
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as zf:
        zf.writestr("P.npy", _lying_npy((10**6, 2)))
    old = "P = [[1.0, 0.0], [0.0, 1.0]]"
    for ref, match in [("big.npy", r"key 'P': cannot read 'big.npy'.*max_variables"),
                       ("short.npy", r"claims shape \(1000, 3\).*holds only 16 bytes"),
                       ("z.npz:P", r"cannot read 'z.npz'.*claims shape \(1000000, 2\)")]:
        with pytest.raises(co.SpecError, match=match):
            load_spec(write_spec(GOOD.replace(old, f'P = "{ref}"')))


def test_deep_nesting_is_a_spec_error() -> None:
    with pytest.raises(co.SpecError, match="nested too deeply"):
        loads_spec("a = " + "[" * 5000 + "]" * 5000)


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


# -- structured fuzzing: any TOML value at any key of a valid spec -------------------------

def _toml_value(v) -> str:
    """A TOML literal for ``v`` (the stdlib reads TOML but does not write it)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(v, "nan" if v != v else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + "".join(c if c.isalnum() or c in " .:-_/" else f"\\u{ord(c):04x}"
                             for c in v) + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + "}"


_scalars = (st.integers(-(10**30), 10**30) | st.floats() | st.booleans()
            | st.text(max_size=12) | st.sampled_from(["quadratic", "logistic", "python",
                                                      "least_squares", "x.npy", "../a.csv",
                                                      "d.npz:P", "mpi", "local"]))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text("abxy", min_size=1, max_size=3), inner,
                                         max_size=3), max_leaves=12)

_FIELDS = {"": ["relation", "title", "colour"],
           "shapes": ["x", "y"],
           "boxes.f": ["objective", "size", "ports", "P", "a", "A", "b", "X", "y", "l2",
                       "function"],
           "solve": ["step", "steps", "tol", "x0", "engine", "workers", "checkpoint",
                     "checkpoint_every"]}
_BASE = {"": {"relation": '"(x,) :- f(x, y)"'},
         "boxes.f": {"objective": '"quadratic"', "size": "2", "ports": "[0, 1]",
                     "P": "[[1.0, 0.0], [0.0, 1.0]]", "a": "[0.0, 1.0]"},
         "solve": {"step": "0.1", "steps": "10", "x0": "0.5"}}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(_FIELDS)), st.integers(0, 20), _values),
                min_size=1, max_size=4))
def test_fuzz_any_value_at_any_key(edits) -> None:
    """Replacing values of a valid spec by arbitrary TOML values only ever raises
    CatoptError; a spec that loads also solves (or fails with a CatoptError)."""
    tables = {t: dict(kv) for t, kv in _BASE.items()}
    for table, k, value in edits:
        keys = _FIELDS[table]
        tables.setdefault(table, {})[keys[k % len(keys)]] = _toml_value(value)
    text = "\n".join(f"{k} = {v}" for k, v in tables.pop("").items())
    for table, kv in tables.items():
        text += f"\n[{table}]\n" + "\n".join(f'"{k}" = {v}' for k, v in kv.items())
    try:
        spec = loads_spec(text)
    except co.CatoptError:
        return
    opts = {k: v for k, v in spec.solve.items() if k in ("step", "tol", "x0")}
    try:
        co.solve(spec.composite, steps=min(spec.solve.get("steps", 5), 5), **opts)
    except co.CatoptError:
        pass
