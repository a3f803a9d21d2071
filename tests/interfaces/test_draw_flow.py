"""Drawing a composite flow network: subnetworks as clusters, shared nodes between them, the
solved flows on the edges."""

from __future__ import annotations

import numpy as np
import pytest

import catopt as co
from catopt.interfaces.draw import draw


def test_flow_drawing_has_clusters_shared_nodes_and_flows() -> None:
    pytest.importorskip("graphviz")
    d = co.relation("() :- f(w), g(w)")
    f = co.OpenFlowNetwork(["s", "m"], [("s", "m")], quadratic=1.0, supply={"s": 1.0},
                           ports=["m"], name="f")
    g = co.OpenFlowNetwork(["m", "t"], [("m", "t")], quadratic=1.0, supply={"t": -1.0},
                           ports=["m"], name="g")
    net = co.compose(d, [f, g])
    src = draw(net, flows=[1.0, 1.0]).source
    assert "cluster_0" in src and "cluster_1" in src
    assert src.count("label=1.00") == 2  # both edges carry the unit flow
    assert "gold" in src  # the shared node w
    with pytest.raises(co.CatoptError, match="flows has shape"):
        draw(net, flows=np.zeros(3))
