"""Signal's pure computation: phi on known tables, and every row against a brute-force reference on random
populations (Hypothesis). The reference computes phi as the Pearson correlation of two 0/1 vectors, which is
what phi is, rather than from the 2×2 formula."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.behaviour.signal import SignalSettings, compute_signal, phi


def test_phi_of_a_known_table() -> None:
    # (10*40 - 20*30) / sqrt(30 * 70 * 40 * 60) = -200 / 2244.9944...
    value = phi(10, 20, 30, 40)
    assert value is not None and value == pytest.approx(-0.0890870806, abs=1e-9)


@pytest.mark.parametrize(("table", "expected"), [
    ((5, 0, 0, 5), 1.0), ((0, 5, 5, 0), -1.0), ((3, 3, 3, 3), 0.0),
    ((0, 0, 3, 4), None), ((3, 4, 0, 0), None), ((3, 0, 4, 0), None), ((0, 3, 0, 4), None), ((0, 0, 0, 0), None),
])
def test_phi_at_the_edges(table: tuple[int, int, int, int], expected: float | None) -> None:
    assert phi(*table) == expected


def _pearson(xs: list[int], ys: list[int]) -> float | None:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)


_units = st.sampled_from([f"u{i}" for i in range(12)])
_items = st.sampled_from(["page:a", "page:b", "feature:x", "event:E", "guide:g:seen"])


@settings(max_examples=300, deadline=None)
@given(
    population=st.sets(_units, min_size=1),
    done=st.lists(st.tuples(_units, st.integers(-2, 25), _items), max_size=60),
    goal=st.lists(st.tuples(_units, st.integers(0, 40)), max_size=30),
    window=st.integers(1, 8),
    goal_from=st.integers(8, 15),
    goal_len=st.integers(0, 10),
    support=st.integers(1, 4),
)
def test_matches_a_brute_force_reference(population: set[str], done: list[tuple[str, int, str]],
                                         goal: list[tuple[str, int]], window: int, goal_from: int, goal_len: int,
                                         support: int) -> None:
    """Days are counted from each unit's first day; facts of units outside the population are ignored."""
    config = SignalSettings(window, goal_from, goal_from + goal_len, support)
    result = compute_signal(population, done, goal, config)
    units = sorted(population)
    reached = [int(any(u == g and goal_from <= d <= goal_from + goal_len for g, d in goal)) for u in units]
    assert (result.population, result.reached) == (len(units), sum(reached))
    expected = {}
    for item in sorted({i for u, _, i in done if u in population}):
        did = [int(any(u == v and i == item and 0 <= d <= window - 1 for v, d, i in done)) for u in units]
        if sum(did) < support:
            continue
        table = [sum(1 for x, y in zip(did, reached, strict=True) if (x, y) == pair)
                 for pair in ((1, 1), (1, 0), (0, 1), (0, 0))]
        expected[item] = (*table, sum(did) / len(units), _pearson(did, reached))
    got = {r.item: (r.did_reached, r.did_not_reached, r.not_did_reached, r.not_did_not_reached, r.share, r.phi)
           for r in result.rows}
    assert got.keys() == expected.keys()
    for item, want in expected.items():
        assert got[item][:5] == want[:5], item
        if want[5] is None:
            assert got[item][5] is None, item
        else:
            assert got[item][5] == pytest.approx(want[5], abs=1e-9), item
    # ranked by phi, highest first, undefined last
    keys = [(r.phi is None, -(r.phi or 0.0)) for r in result.rows]
    assert keys == sorted(keys)
