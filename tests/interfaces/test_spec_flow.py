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


LINEAR = SPEC.parent / "flow_linear.toml"


def test_linear_flow_spec_solves_to_the_lp_flow(tmp_path: Path) -> None:
    """Linear costs with capacities: ``catopt run`` picks the proximal point method and its
    flows are HiGHS's optimum (unique here: the only cheaper routing through g's edge
    w->x would overload x->t), with zero duality gap."""
    from scipy.optimize import linprog

    s = load_spec(LINEAR)
    assert s.method == "proximal"
    out = tmp_path / "r.json"
    r = CliRunner().invoke(main, ["run", str(LINEAR), "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert "proximal point method" in r.output and "converged" in r.output
    data = json.loads(out.read_text())
    assert data["method"] == "proximal" and data["converged"]
    flows = np.array([e["flow"] for e in data["flows"]])
    net = s.composite
    beta = np.concatenate([leaf.beta for leaf in net.leaves])
    hi = np.concatenate([leaf.upper for leaf in net.leaves])
    lp = linprog(beta, A_eq=net.incidence().toarray(), b_eq=net.supply(),
                 bounds=[(0.0, h) for h in hi], method="highs")
    assert lp.status == 0
    np.testing.assert_allclose(flows, lp.x, atol=1e-6)
    np.testing.assert_allclose(flows, [2, 0, 1, 1, 2, 1], atol=1e-6)  # worked out by hand
    assert data["cost"] == pytest.approx(lp.fun, abs=1e-8)
    assert data["dual_value"] == pytest.approx(lp.fun, abs=1e-8)
    r = CliRunner().invoke(main, ["draw", str(LINEAR), "-o", str(tmp_path / "f.dot")])
    assert r.exit_code == 0, r.output


def test_flow_spec_method_can_be_chosen() -> None:
    text = LINEAR.read_text().replace("tol = 1e-10", 'tol = 1e-10\nmethod = "dual"\n'
                                      "step = 0.05\nsteps = 200")
    s = loads_spec(text)
    assert s.method == "dual"
    out = s.run()
    assert out["method"] == "dual" and out["dual_value"] <= 11.5 + 1e-9  # weak duality
    text = SPEC.read_text().replace("tol = 1e-10", 'tol = 1e-10\nmethod = "proximal"\nt = 5')
    s = loads_spec(text)
    out = s.run()
    assert out["method"] == "proximal" and out["converged"] and out["t"] == 5.0
    # the quadratic spec's flows, which the first test checks against a KKT solve
    dual = load_spec(SPEC).run()
    assert dual["method"] == "dual"
    np.testing.assert_allclose(out["flows"], dual["flows"], atol=1e-8)


@pytest.mark.parametrize("extra, match", [
    ('method = "simplex"', r"\[solve\] key 'method': expected one of \['auto', 'dual', "
                           r"'proximal'\]"),
    ("t = 0", r"\[solve\] key 't': expected a finite positive number \(the proximal step\)"),
    ('t = "big"', r"\[solve\] key 't'"),
    ("t = inf", r"flow_linear.toml.*\[solve\] key 't': expected a finite positive number "
                r"\(the proximal step\), got inf"),
    ("t = nan", r"\[solve\] key 't': expected a finite positive number"),
    ("step = inf", r"\[solve\] key 'step': expected a finite positive number \(the dual step\)"),
    ("steps = 2.5", r"\[solve\] key 'steps': expected an int >= 1 .*got 2.5"),
    ("steps = 0", r"\[solve\] key 'steps': expected an int >= 1"),
    ("steps = true", r"\[solve\] key 'steps': expected an int >= 1"),
])
def test_bad_flow_method_options_are_named(extra: str, match: str) -> None:
    with pytest.raises(co.SpecError, match=match):
        loads_spec(LINEAR.read_text().replace("tol = 1e-10", f"tol = 1e-10\n{extra}"),
                   name=str(LINEAR))


@pytest.mark.parametrize("tol", ["0", "0.0", "-1e-3", "inf", '"small"'])
def test_a_tolerance_that_is_not_finite_positive_is_named(tol: str) -> None:
    """``tol = 0`` passed the spec checks and then failed deep inside the proximal method
    (which needs ``tol > 0``) as a plain CatoptError; now the spec names file and key."""
    with pytest.raises(co.SpecError, match=r"flow_linear.toml.*\[solve\] key 'tol': expected "
                                           r"a finite positive number \(the tolerance\)"):
        loads_spec(LINEAR.read_text().replace("tol = 1e-10", f"tol = {tol}"), name=str(LINEAR))
