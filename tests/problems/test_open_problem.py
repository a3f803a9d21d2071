"""Open problems: spaces, labels, ports, pack/unpack, gradients, and their errors."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest

import catopt as co


def test_integer_space() -> None:
    p = co.OpenProblem(lambda x: anp.sum(x**2), 5, ports=[1, 3])
    assert p.n == 5
    assert p.labels == ("0", "1", "2", "3", "4")
    assert p.ports == (1, 3)
    assert p.port_shapes == ((), ())
    x = np.arange(5.0)
    assert p.objective(x) == pytest.approx(30.0)
    np.testing.assert_allclose(p.gradient(x), 2 * x)


def test_named_space_calls_objective_with_arrays() -> None:
    seen = {}

    def f(W0, W1):
        seen["shapes"] = (W0.shape, W1.shape)
        return anp.sum(anp.dot(W0, W1) ** 2)

    q = co.OpenProblem(f, {"W0": (3, 2), "W1": (2, 1)}, ports=["W0"])
    assert q.n == 8
    assert q.labels[:2] == ("W0[0]", "W0[1]") and q.labels[-1] == "W1[1]"
    assert q.ports == ("W0",) and q.port_shapes == ((3, 2),)
    rng = np.random.default_rng(0)
    W0, W1 = rng.standard_normal((3, 2)), rng.standard_normal((2, 1))
    x = q.pack({"W0": W0, "W1": W1})
    assert q.objective(x) == pytest.approx(np.sum((W0 @ W1) ** 2))
    assert seen["shapes"] == ((3, 2), (2, 1))
    g = q.unpack(q.gradient(x))
    r = W0 @ W1
    np.testing.assert_allclose(g["W0"], 2 * r @ W1.T)
    np.testing.assert_allclose(g["W1"], 2 * W0.T @ r)


def test_pack_unpack_round_trip() -> None:
    q = co.OpenProblem(lambda a, b: a + anp.sum(b), {"a": (), "b": (2, 2)})
    x = np.arange(5.0)
    u = q.unpack(x)
    assert u["a"].shape == () and u["b"].shape == (2, 2)
    np.testing.assert_array_equal(q.pack(u), x)
    np.testing.assert_array_equal(q.pack([u["a"], u["b"]]), x)
    np.testing.assert_array_equal(q.pack({"a": 1.0}, fill=0.0), [1, 0, 0, 0, 0])


def test_manual_gradient_integer_and_named() -> None:
    calls = []

    def grad(x):
        calls.append(1)
        return 2 * x

    p = co.OpenProblem(lambda x: float(np.sum(x**2)), 3, grad=grad)
    np.testing.assert_allclose(p.gradient(np.ones(3)), [2, 2, 2])
    assert calls
    q = co.OpenProblem(
        lambda a, b: float(a * np.sum(b)),
        {"a": (), "b": (2,)},
        grad=lambda a, b: {"a": np.sum(b), "b": np.full(2, a)},
    )
    np.testing.assert_allclose(q.gradient([3.0, 1.0, 2.0]), [3.0, 3.0, 3.0])
    q2 = co.OpenProblem(
        lambda a, b: float(a * np.sum(b)), {"a": (), "b": (2,)},
        grad=lambda a, b: (np.sum(b), np.full(2, a)),
    )
    np.testing.assert_allclose(q2.gradient([3.0, 1.0, 2.0]), [3.0, 3.0, 3.0])


def test_manual_gradient_of_a_single_named_variable() -> None:
    q = co.OpenProblem(lambda W: float(np.sum(W**2)), {"W": (2, 2)}, grad=lambda W: 2 * W)
    np.testing.assert_allclose(q.gradient(np.arange(4.0)), 2 * np.arange(4.0))


def test_value_and_grad_and_call() -> None:
    p = co.OpenProblem(lambda x: anp.sum(x**3), 2)
    v, g = p.value_and_grad([1.0, 2.0])
    assert v == pytest.approx(9.0) and p([1.0, 2.0]) == pytest.approx(9.0)
    np.testing.assert_allclose(g, [3.0, 12.0])


def test_zero_problem() -> None:
    z = co.OpenProblem.zero({"a": (2,)}, ["a", "a"])
    assert z.objective([1.0, 2.0]) == 0.0
    np.testing.assert_array_equal(z.gradient([1.0, 2.0]), [0.0, 0.0])
    assert z.ports == ("a", "a")


def test_empty_space() -> None:
    p = co.OpenProblem(lambda x: 1.5, 0)
    assert p.objective(np.zeros(0)) == 1.5
    assert p.gradient(np.zeros(0)).shape == (0,)


# -- errors ------------------------------------------------------------------------------

def test_non_scalar_objective_is_named() -> None:
    p = co.OpenProblem(lambda x: x * 2, 3, name="vec")
    with pytest.raises(co.ObjectiveError, match="objective of 'vec'.*non-scalar|scalar"):
        p.gradient(np.ones(3))
    with pytest.raises(co.ObjectiveError, match="shape \\(3,\\); expected a scalar"):
        p.objective(np.ones(3))


def test_objective_raising_is_wrapped() -> None:
    def bad(x):
        return {}["missing"]

    p = co.OpenProblem(bad, 2, name="bad")
    with pytest.raises(co.ObjectiveError, match="objective of 'bad' raised KeyError"):
        p.objective(np.ones(2))


def test_manual_gradient_of_wrong_shape() -> None:
    p = co.OpenProblem(lambda x: 0.0, 3, grad=lambda x: np.zeros(2), name="g")
    with pytest.raises(co.ObjectiveError, match="gradient of objective of 'g' has shape \\(2,\\)"):
        p.gradient(np.ones(3))


@pytest.mark.parametrize("x", [np.ones(4), np.ones((5, 1)), "abc", [[1, 2]]])
def test_wrong_state_length(x: object) -> None:
    p = co.OpenProblem(lambda x: anp.sum(x), 5, name="p5")
    with pytest.raises(co.StateError, match="OpenProblem 'p5'"):
        p.objective(x)


@pytest.mark.parametrize(
    "space, ports, match",
    [
        (3, [3], "port 0 is coordinate 3, out of range"),
        (3, [-1], "out of range"),
        (3, ["a"], "port 0 must be a coordinate index"),
        (3, [1.5], "port 0 must be a coordinate index"),
        ({"a": ()}, ["b"], "port 0 names unknown variable 'b'"),
        ({"a": ()}, [0], "port 0 must name a variable"),
        ("nope", [], "a decision space is an int or a mapping"),
        (-2, [], "non-negative int"),
        ({"a": (-1,)}, [], "variable 'a'"),
    ],
)
def test_space_and_port_errors(space: object, ports: list, match: str) -> None:
    with pytest.raises(co.CatoptError, match=match):
        co.OpenProblem(lambda x: 0.0, space, ports=ports)  # type: ignore[arg-type]


def test_pack_errors() -> None:
    q = co.OpenProblem(lambda a, b: 0.0, {"a": (), "b": (2, 2)})
    with pytest.raises(co.SpaceError, match="unknown variable 'c'"):
        q.pack({"c": 1.0})
    with pytest.raises(co.SpaceError, match="no value given for variable 'b'"):
        q.pack({"a": 1.0})
    with pytest.raises(co.ShapeError, match="variable 'b' has shape \\(2, 2\\)"):
        q.pack({"a": 1.0, "b": np.ones(3)})
    with pytest.raises(co.SpaceError, match="expected 2 arrays"):
        q.pack([1.0])


def test_not_callable() -> None:
    with pytest.raises(co.ObjectiveError, match="must be callable"):
        co.OpenProblem(3, 2)  # type: ignore[arg-type]
    with pytest.raises(co.ObjectiveError, match="grad must be callable"):
        co.OpenProblem(lambda x: 0.0, 2, grad=3)  # type: ignore[arg-type]


def test_unknown_backend() -> None:
    with pytest.raises(co.BackendError, match="unknown backend 'nope'"):
        co.OpenProblem(lambda x: 0.0, 2, backend="nope")
