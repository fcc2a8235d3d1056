"""The benchmark charts' geometry, with no I/O: axes, dots for small groups, a histogram for large ones."""

from __future__ import annotations

from waymark.admin.benchmark_charts import BINS, MAX_DOTS, axis_for, histogram, strips
from waymark.peers.schemas import Distribution


def group(name: str, values: list[float]) -> Distribution:
    return Distribution(metric="stickiness", peer_group="industry", group=name, available=True, peers=len(values),
                        p25=values[len(values) // 4], p50=values[len(values) // 2], p75=values[3 * len(values) // 4],
                        values=values)


def test_axis_covers_the_values_with_round_ticks() -> None:
    axis = axis_for([3.3, 10.0, 16.7], "%")
    assert (axis.low, axis.high) == (0.0, 20.0) and axis.ticks[0] == (0.0, "0%") and axis.ticks[-1] == (100.0, "20%")
    assert axis.x(5.0) == 25.0
    assert (axis_for([], "points").low, axis_for([], "points").high) == (-100.0, 100.0)
    tied = axis_for([100.0, 100.0], "%")  # at least 10 points wide, never past 100%
    assert (tied.low, tied.high) == (90.0, 100.0) and tied.x(100.0) == 100.0
    assert (axis_for([0.0], "%").low, axis_for([0.0], "%").high) == (0.0, 10.0)


def test_histogram_bins() -> None:
    assert histogram([0, 0.5, 4.9, 5, 10], 0, 10, bins=2) == [3, 2]  # the top value falls in the last bin


def test_small_groups_are_dots_and_large_ones_a_histogram() -> None:
    small = group("retail", [3.3, 5.0, 6.7, 8.3, 10.0])
    large = group("health", [float(i % 40) for i in range(MAX_DOTS + 1)])
    hidden = Distribution(metric="stickiness", peer_group="industry", group="legal", available=False, peers=2,
                          reason="too_few_peers", message="Hidden")
    axis, rows = strips([small, large, hidden], "%")
    assert len(rows[0].dots) == 5 and not rows[0].bars and rows[0].listing == "3.3, 5, 6.7, 8.3, 10"
    assert not rows[1].dots and 0 < len(rows[1].bars) <= BINS and max(h for _, _, h in rows[1].bars) == 1.0
    assert sum(int(part.rsplit(": ", 1)[1]) for part in rows[1].listing.split("; ")) == MAX_DOTS + 1
    assert rows[2].hidden == "Hidden" and not rows[2].dots and not rows[2].bars
    assert rows[0].box == (axis.x(5.0), axis.x(8.3))
