"""The two-layer linear network example: its claims, asserted."""

from __future__ import annotations

import numpy as np

from examples import two_layer_linear as tl


def test_example_claims(tmp_path, capsys) -> None:
    out = tl.main(["--quick", "--outdir", str(tmp_path)])
    imb = out["imbalance"]
    assert imb["flow_drift"] < 1e-8 < imb["flow_loss_drop"]       # conserved by the flow
    assert abs(imb["ratio"] - 4.0) < 1e-6                          # O(eta^2) per GD step
    assert imb["closed_form_error"] < 1e-12                        # exactly eta^2 (G1'G1 - G2G2')
    ad = out["adaptive"]
    assert ad["bound_ok"]                                          # L(t+1) <= f(eta_t, t) L(t)
    assert all(0 < s <= ad["eta_max"] for s in ad["steps"])
    assert ad["r2"] > 0.999 and ad["rate"] < 1                     # linear convergence
    assert ad["rate"] <= ad["f0"]          # at the rate f(eta_t, t) <= f(eta_0, 0) guaranteed
    cert_adaptive, cert_constant = ad["certificate"]
    assert ad["adaptive"][-1] <= cert_adaptive < cert_constant     # the adaptive certificate wins
    assert np.all(np.diff(ad["adaptive"]) < 0)
    for kind in tl.INITS:
        over, plain = out["table"][kind]["over"], out["table"][kind]["plain"]
        assert all(k > 0 for k in over + plain)                    # every run reached 1e-8
        # Proposition 3.1 and the seed's table: GD is slower on the overparametrized model
        assert np.mean(over) > np.mean(plain), kind
    assert out["data_parallel"]["max_diff"] < 1e-10 and out["data_parallel"]["labels_equal"]
    for name in ("two_layer_linear.png", "two_layer_linear_uwd.svg"):
        assert (tmp_path / name).stat().st_size > 500
    text = capsys.readouterr().out
    assert "over-parametrization" in text and all(k in text for k in tl.INITS)


def test_unknown_initialization() -> None:
    import pytest

    import catopt as co

    with pytest.raises(co.CatoptError, match="unknown initialization 'zeros'"):
        tl.init("zeros", 2, 2, 2, np.random.default_rng(0))
