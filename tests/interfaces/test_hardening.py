"""Reproducers of the reliability findings in the interfaces, written anew: spec paths stay in
the spec's folder, names reach graphviz and the terminal as plain text, loaders refuse what
they cannot hold before holding it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import catopt as co
from catopt.interfaces.cli import main
from catopt.interfaces.draw import draw
from catopt.interfaces.spec import load_spec, loads_spec

SPEC = """
relation = "(x,) :- f(x)"
[boxes.f]
objective = "quadratic"
size = 1
P = [[1.0]]
a = [0.0]
ports = [0]
[solve]
steps = 3
step = 0.1
"""


def test_a_spec_checkpoint_stays_in_the_spec_folder(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside" / "ck"
    with pytest.raises(co.SpecError, match="leaves the spec's folder"):
        loads_spec(SPEC + f'checkpoint = "{outside}"\n', base=tmp_path)
    assert not outside.parent.exists()
    inside = loads_spec(SPEC + 'checkpoint = "ck"\n', base=tmp_path)
    assert Path(inside.solve["checkpoint"]) == (tmp_path / "ck").resolve()  # not the cwd
    allowed = loads_spec(SPEC + f'checkpoint = "{outside}"\n', base=tmp_path,
                         allow_outside=True)
    assert Path(allowed.solve["checkpoint"]) == outside.resolve()


def test_names_never_reach_graphviz_as_html() -> None:
    evil = '<<TABLE><TR><TD><IMG SRC="/etc/hostname"/></TD></TR></TABLE>>'
    src = draw(co.UWD([(evil, ["x"])], ["x"])).source
    assert f"label={evil}" not in src and "label=<<TABLE>" not in src
    assert 'label="<<TABLE>' in src  # quoted: a plain string
    with_osc = draw(co.UWD([("f", ["x\x1b]0;owned\x07"])], [])).source
    assert "\x1b" not in with_osc and "\x07" not in with_osc


def test_control_characters_in_names_are_escaped_on_the_terminal(tmp_path: Path) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.replace('"(x,) :- f(x)"', '"(x,) :- f(x)"\ntitle = "t\\u001b]0;x\\u0007"'))
    out = CliRunner().invoke(main, ["run", str(spec)])
    assert out.exit_code == 0, out.output
    assert "\x1b" not in out.output and "\\x1b" in out.output


def test_huge_integers_in_toml_and_json_are_errors() -> None:
    with pytest.raises(co.SpecError):
        loads_spec(SPEC + "tol = " + "9" * 5000 + "\n")
    with pytest.raises(co.DiagramError):
        co.UWD.from_json('{"Box": [' + "1" * 5000 + "]}")


def test_odd_data_paths_and_headers_are_errors(tmp_path: Path) -> None:
    bad = SPEC.replace("P = [[1.0]]", 'P = "a\\u0000b.npy"')
    with pytest.raises(co.SpecError, match="NUL"):
        loads_spec(bad, base=tmp_path)
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': (0, {2**70}), }}"
    header = header + " " * (118 - len(header)) + "\n"
    (tmp_path / "h.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
                                     + header.encode())
    with pytest.raises(co.CatoptError, match="max_variables"):
        loads_spec(SPEC.replace("P = [[1.0]]", 'P = "h.npy"'), base=tmp_path)


def test_a_lone_surrogate_in_a_name_is_refused() -> None:
    with pytest.raises(co.DiagramError, match="valid Unicode"):
        co.UWD([("f\ud800", ["x"])], ["x"])


def test_long_relation_text_is_drawn_not_stated_as_a_file(tmp_path: Path) -> None:
    text = "(x0,) :- " + ", ".join(f"box{i}(x{i}, x{i + 1})" for i in range(40))
    assert len(text) > 255
    out = CliRunner().invoke(main, ["draw", text, "-o", str(tmp_path / "d.dot")])
    assert out.exit_code == 0, out.output
    assert "box39" in (tmp_path / "d.dot").read_text()


def test_repeated_junction_names_in_json_are_refused_in_linear_time() -> None:
    n = 60_000
    doc = {"Box": [{"name": "f"}], "Port": [], "OuterPort": [],
           "Junction": [{"variable": "j"} for _ in range(n)]}
    text = json.dumps(doc)
    t0 = time.perf_counter()
    with pytest.raises(co.DiagramError, match="distinct"):
        co.UWD.from_json(text)
    assert time.perf_counter() - t0 < 2.0


def test_a_spec_over_the_text_limit_is_refused_by_a_bounded_read(tmp_path: Path) -> None:
    spec = tmp_path / "big.toml"
    spec.write_text(SPEC + "#" * 10_000 + "\n")
    with co.limits(max_text=1000), pytest.raises(co.LimitError, match="max_text"):
        load_spec(spec)
    np.testing.assert_equal(load_spec(spec).solve["steps"], 3)


@pytest.mark.mpi
def test_cli_timeout_ends_an_mpi_run(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    spec = root / "catopt" / "interfaces" / "specs" / "quadratics.toml"
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "catopt", "run", str(spec), "--engine", "mpi",
                           "--workers", "2", "--steps", str(10**8), "--tol", "0", "--timeout",
                           "4", "-q"], capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.returncode == 1 and "exceeded its timeout of 4 s" in proc.stderr, proc.stderr
    assert time.monotonic() - t0 < 60


def test_ctrl_c_while_the_cli_loads_is_quiet() -> None:
    """A KeyboardInterrupt raised while the command line's modules import: exit 130, one word,
    no traceback."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = ("import builtins, sys\n"
            "real = builtins.__import__\n"
            "def imp(name, *a, **k):\n"
            "    if name == 'catopt.interfaces.cli':\n"
            "        raise KeyboardInterrupt\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = imp\n"
            "from catopt.__main__ import entry\n"
            "sys.argv = ['catopt', '--help']\n"
            "entry()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.returncode == 130 and proc.stderr == "interrupted\n", proc.stderr
