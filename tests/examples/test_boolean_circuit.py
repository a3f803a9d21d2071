"""The Boolean-circuit example: exact recovery over Z2 and its two lessons."""

from __future__ import annotations

from examples import boolean_circuit


def test_example_claims(capsys) -> None:
    out = boolean_circuit.main(["--quick", "--seed", "3"])
    assert out["recovered"] and all(out["recovered"])
    assert out["same"]
    assert out["scalar_form_vanishes"]
    assert out["boolean_grad_at_correct"] == 1
    assert out["cancels"]
    assert "exact recovery in every run:            True" in capsys.readouterr().out


def test_outdir_writes_the_circuit_diagram(tmp_path, capsys) -> None:
    boolean_circuit.main(["--quick", "--outdir", str(tmp_path / "o")])
    assert (tmp_path / "o" / "boolean_circuit_uwd.svg").read_text().count("<svg") == 1
