"""The quotient of a finite set by pairs: every element's representative is the smallest
member of its class, the classes being networkx's connected components of the pairs' graph
(an independent computation); the union-find fallback gives the same; a version that skips
the compression is caught."""

from __future__ import annotations

import importlib

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from catopt.wiring.quotient import quotient

qmod = importlib.import_module("catopt.wiring.quotient")  # the package re-exports the function


def reference(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(pairs)
    rep = np.arange(n)
    for comp in nx.connected_components(g):
        rep[list(comp)] = min(comp)
    return rep


@st.composite
def instances(draw) -> tuple[int, list[tuple[int, int]]]:
    n = draw(st.integers(1, 60))
    k = draw(st.integers(0, 3 * n))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          min_size=k, max_size=k))
    return n, pairs


@given(instances())
def test_quotient_is_connected_components(case) -> None:
    n, pairs = case
    np.testing.assert_array_equal(quotient(n, pairs), reference(n, pairs))


@given(instances(), st.integers(0, 2))
def test_the_union_find_fallback_agrees(case, rounds: int) -> None:
    """With the hooking rounds capped, the union-find finishes what hooking began."""
    n, pairs = case
    saved = qmod.MAX_ROUNDS
    qmod.MAX_ROUNDS = rounds
    try:
        got = quotient(n, pairs)
    finally:
        qmod.MAX_ROUNDS = saved
    np.testing.assert_array_equal(got, reference(n, pairs))


def test_long_chains_and_stars() -> None:
    n = 5000
    rng = np.random.default_rng(0)
    perm = rng.permutation(n)
    chain = list(zip(perm[:-1].tolist(), perm[1:].tolist(), strict=True))
    np.testing.assert_array_equal(quotient(n, chain), np.zeros(n))
    star = [(int(i), n - 1) for i in rng.permutation(n - 1)]
    np.testing.assert_array_equal(quotient(n, star), np.zeros(n))
    assert quotient(3, []).tolist() == [0, 1, 2]


def test_a_quotient_without_compression_is_caught(monkeypatch) -> None:
    def hook_once(rep, a, b):  # hooks once, never compresses nor repeats
        ra, rb = rep[a], rep[b]
        np.minimum.at(rep, np.maximum(ra, rb), np.minimum(ra, rb))
        return rep

    monkeypatch.setattr(qmod, "_hook_and_compress", hook_once)
    pairs = [(0, 1), (1, 2), (2, 3)]
    assert not np.array_equal(quotient(4, pairs), reference(4, pairs))


def test_the_fallback_is_used_past_the_round_limit(monkeypatch) -> None:
    monkeypatch.setattr(qmod, "MAX_ROUNDS", 0)
    pairs = [(3, 1), (1, 4), (0, 2)]
    assert quotient(5, pairs).tolist() == [0, 1, 0, 1, 1]


@pytest.mark.parametrize("pairs", [[(3, 1), (1, 4)], iter([(3, 1), (1, 4)])])
def test_pairs_may_be_any_iterable(pairs) -> None:
    assert quotient(5, pairs).tolist() == [0, 1, 2, 1, 1]


@pytest.mark.parametrize("n, pairs, match", [
    (3, [(0, -1)], r"pairs must be pairs \(a, b\) of ints in \[0, 3\); pair 0 is \(0, -1\)"),
    (3, [(0, 1), (0, 1.7)], r"pair 1 is \(0, 1.7\)"),
    (3, [(0, 1), (2, 3)], r"in \[0, 3\); pair 1 is \(2, 3\)"),
    (3, np.array([[0, 1], [5, 0]]), r"pair 1 is \(5, 0\)"),
    (3, [(0, "a")], r"pair 0 is \(0, 'a'\)"),
    (3, [(0, 1, 2)], r"pair 0 is \(0, 1, 2\)"),
    (3, [(0, 1), (1,)], r"pair 1 is \(1,\)"),
    (3, [(True, False)], r"pair 0 is \(True, False\)"),
    (3, [(0, float("nan"))], r"pair 0 is \(0, nan\)"),
    (-1, [], r"n \(the size of the set\) must be an int >= 0"),
    (2.5, [], r"n \(the size of the set\) must be an int >= 0"),
])
def test_bad_pairs_are_refused_naming_the_pair(n, pairs, match) -> None:
    """Negative indices would wrap around (0 merged with 2), floats be truncated, too large
    indices raise a bare IndexError: each is a DiagramError naming ``pairs`` and the pair."""
    from catopt.errors import DiagramError

    with pytest.raises(DiagramError, match=match):
        quotient(n, pairs)


def test_integral_floats_and_numpy_ints_are_indices() -> None:
    """The check is not too strict: 1.0 is the index 1; numpy ints and arrays are accepted."""
    assert quotient(3, [(0, 2.0)]).tolist() == [0, 1, 0]
    assert quotient(3, [(np.int64(2), np.int32(1))]).tolist() == [0, 1, 1]
    assert quotient(3, np.array([[2, 0]])).tolist() == [0, 1, 0]
    assert quotient(0, []).tolist() == []
