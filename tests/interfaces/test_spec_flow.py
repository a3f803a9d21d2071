"""Flow-network spec files: loaded into a composite network, solved by dual decomposition from
the command line (checked against a KKT solve), drawn with their flows; bad specs named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import catopt as co
from catopt.interfaces.cli import main
from catopt.interfaces.spec import load_spec, loads_spec
from catopt.interfaces.spec_flow import FlowSpec

SPEC = Path(__file__).resolve().parents[2] / "catopt" / "interfaces" / "specs" / \
    "flow_network.toml"


def test_flow_spec_solves_to_the_kkt_point(tmp_path: Path) -> None:
    s = load_spec(SPEC)
    assert isinstance(s, FlowSpec)
    net = s.composite
    assert net.n == 4 and net.n_edges == 6  # w, x shared; f.s and g.t private
    out = tmp_path / "r.json"
    r = CliRunner().invoke(main, ["run", str(SPEC), "--output", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    flows = np.array([e["flow"] for e in data["flows"]])
    # KKT of min sum a x^2 + beta x s.t. A x = b (the one capacity does not bind here),
    # assembled from the spec's numbers by hand
    A = net.incidence().toarray()
    a = np.concatenate([leaf.a for leaf in net.leaves])
    beta = np.concatenate([leaf.beta for leaf in net.leaves])
    K = np.block([[np.diag(2 * a), A.T], [A, np.zeros((4, 4))]])
    x = np.linalg.lstsq(K, np.concatenate([-beta, net.supply()]), rcond=None)[0][:6]
    assert np.all(x <= np.concatenate([leaf.upper for leaf in net.leaves]))
    np.testing.assert_allclose(flows, x, atol=1e-8)
    assert data["cost"] == pytest.approx(data["dual_value"], abs=1e-8)  # strong duality
    r = CliRunner().invoke(main, ["draw", str(SPEC), "-o", str(tmp_path / "f.dot")])
    assert r.exit_code == 0, r.output
    dot = (tmp_path / "f.dot").read_text()
    assert f"label={x[0]:.2f}" in dot


@pytest.mark.parametrize("text, match", [
    ('kind = "flow"\nrelation = "() :- f(w)"\n[boxes.f]\nnodes = 2\nedges = [[0, 5]]\n'
     'ports = [0]', r"\[boxes.f\].*unknown node 5"),
    ('kind = "flow"\nrelation = "() :- f(w)"\n[boxes.f]\nnodes = 2\nports = [0]',
     r"\[boxes.f\] key 'edges': missing"),
    ('kind = "flow"\nrelation = "() :- f(w)"\n[boxes.f]\nnodes = 2\nedges = [[0, 1]]\n'
     'capacity = 3\nports = [0]', r"key 'capacity': unknown key"),
    ('kind = "flow"\nrelation = "() :- f(w)"\n[boxes.f]\nnodes = 2\nedges = [[0, 1]]\n'
     'supply = [1.0, 0.0]', r"infeasible supplies"),
    ('kind = "flow"\nrelation = "() :- f(w)"\n[boxes.f]\nnodes = 2\nedges = [[0, 1]]\n'
     'ports = [0]\n[solve]\nstep = -1', r"\[solve\] key 'step'"),
    ('kind = "pipes"\nrelation = "() :- f(w)"', r"key 'kind': expected 'problem' or 'flow'"),
])
def test_bad_flow_specs_are_named(text: str, match: str) -> None:
    with pytest.raises(co.SpecError, match=match):
        loads_spec(text)
