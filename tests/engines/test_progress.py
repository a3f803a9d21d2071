"""Progress bars show every ``total / 200`` iterations, also when an engine jumps in chunks."""

from __future__ import annotations

import io

import pytest

from catopt.interfaces.progress import Progress

pytest.importorskip("tqdm")


def shown(updates: list[tuple[int, int | None]], total: int = 1000) -> list[int]:
    bar = Progress(total, True, file=io.StringIO())  # keep the test's output clean
    seen = []
    for t, since in updates:
        before = bar.position
        bar.update(t, 1.0, 0.5, since=since)
        if bar.position != before:
            seen.append(t)
    bar.close()
    return seen


def test_step_by_step_updates_show_every_total_over_200() -> None:
    assert shown([(t, None) for t in range(1, 21)]) == [5, 10, 15, 20]


def test_chunks_show_when_they_pass_a_multiple() -> None:
    # chunks of 3 iterations: (3, 6] holds 5, (9, 12] holds 10, (12, 15] 15, (18, 21] 20
    assert shown([(t, t - 3) for t in range(3, 22, 3)]) == [6, 12, 15, 21]
    assert shown([(13, 11)]) == []  # 12 and 13: no multiple of 5
