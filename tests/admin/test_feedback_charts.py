"""The NPS trend's SVG geometry: −100 at the bottom, 100 at the top, an interval around each answered period."""

from __future__ import annotations

from waymark.admin.feedback_charts import interval_chart


def test_points_and_intervals_are_placed_by_hand() -> None:
    # height 240: the plot runs from y=12 (100) to y=212 (−100); 0 is at 112, each point is 1 unit of NPS.
    chart = interval_chart([("2026-03-02", 25.0, [-56.26, 100.0], 4), ("2026-03-09", None, None, 0)])
    first, second = chart.points
    assert (first.y, first.low, first.high) == (87.0, 168.26, 12.0)
    assert first.title == "2026-03-02: NPS 25 (95% interval -56.26 to 100), 4 answer(s)"
    assert (second.y, second.low, second.high, second.title) == (None, None, None, "2026-03-09: no answers")
    # two periods share the 584 units between the margins: centres at 44 + 146 and 44 + 438
    assert (first.x, second.x) == (190.0, 482.0)
    assert [y for y, _ in chart.grid] == [212.0, 162.0, 112.0, 62.0, 12.0]


def test_labels_thin_out_on_long_series() -> None:
    assert interval_chart([(str(i), 0.0, [0.0, 0.0], 1) for i in range(8)]).tick_every == 1
    assert interval_chart([(str(i), 0.0, [0.0, 0.0], 1) for i in range(53)]).tick_every == 7
    assert interval_chart([]).points == ()
