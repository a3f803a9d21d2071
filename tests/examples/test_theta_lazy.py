"""The theta-lazy example: a lazy regime at large kappa, a non-lazy one at kappa = 1, and the
NTK linearization (closed form, hand-written Jacobian) matching only the lazy runs."""

from __future__ import annotations

from pathlib import Path

from examples import theta_lazy


def test_example_claims(tmp_path: Path) -> None:
    out = theta_lazy.main(["--quick", "--outdir", str(tmp_path)])
    res, widths = out["results"], out["widths"]
    big = widths[-1]
    assert out["grad_vs_hand"] < 1e-12
    # lazy: theta = 1 (kappa = m) moves the first layer by under 1% at the largest width
    assert res[big, 1.0]["rel_W"] < 1e-2
    # not lazy: kappa = 1 moves it by order one, at every width, and not less as m grows
    assert all(res[m, 0.0]["rel_W"] > 0.5 for m in widths)
    assert abs(out["slopes"][0.0]) < 0.15
    # the transition: in log m the weight change falls with slope about -theta (tolerance 0.1)
    for th in (0.5, 1.0):
        assert abs(out["slopes"][th] + th) < 0.1, (th, out["slopes"][th])
    # the independent NTK prediction: matches the lazy runs (weight change to 5%, loss curve
    # to 1e-3 of L_0) and misses the mean-field ones by a factor over 1.3 and 10% of L_0
    r = res[big, 1.0]
    assert abs(r["rel_W"] / r["rel_W_ntk"] - 1) < 0.05 and r["loss_gap"] < 1e-3
    for m in widths:
        r0 = res[m, 0.0]
        assert r0["rel_W_ntk"] / r0["rel_W"] > 1.3 and r0["loss_gap"] > 0.1
    # the gap to the linearization shrinks as m grows at every theta > 0 ...
    for th in (0.25, 0.5, 1.0):
        gaps = [res[m, th]["loss_gap"] for m in widths]
        assert gaps == sorted(gaps, reverse=True), (th, gaps)
    # ... and the JAX family, compiled by solve(engine="jax"), takes the same steps
    if "jax_vs_autograd" in out:
        assert out["jax_vs_autograd"] < 1e-10
    assert (tmp_path / "theta_lazy.png").stat().st_size > 5000
