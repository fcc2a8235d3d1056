"""Geometry of the NPS trend with its 95% intervals as SVG error bars (no I/O, no script needed to see it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["IntervalChart", "IntervalPoint", "interval_chart"]

_LEFT, _RIGHT, _TOP, _BOTTOM = 44.0, 12.0, 12.0, 28.0
_GRID = (-100, -50, 0, 50, 100)


@dataclass(frozen=True, slots=True)
class IntervalPoint:
    label: str
    x: float
    y: float | None
    """The score's height; None when the period has no answer (nothing is drawn)."""
    low: float | None
    high: float | None
    title: str
    """What the point says, for the SVG <title> (read by screen readers and shown on hover)."""


@dataclass(frozen=True, slots=True)
class IntervalChart:
    width: float
    height: float
    left: float
    right: float
    grid: tuple[tuple[float, str], ...]
    """(y, label) of the horizontal lines at −100, −50, 0, 50 and 100."""
    points: tuple[IntervalPoint, ...]
    tick_every: int
    """Label every n-th period on the x axis, so that labels never overlap."""


def _y(value: float, height: float) -> float:
    """−100 at the bottom of the plot, 100 at the top."""
    plot = height - _TOP - _BOTTOM
    return round(_TOP + plot * (100.0 - max(-100.0, min(100.0, value))) / 200.0, 2)


def interval_chart(
    periods: Sequence[tuple[str, float | None, Sequence[float] | None, int]], width: float = 640.0,
    height: float = 240.0,
) -> IntervalChart:
    """Each period ``(label, score, [low, high], responses)`` as a point with its interval, evenly spaced."""
    n = len(periods)
    plot_width = width - _LEFT - _RIGHT
    step = plot_width / n if n else plot_width
    points = []
    for i, (label, score, ci, responses) in enumerate(periods):
        x = round(_LEFT + step * (i + 0.5), 2)
        if score is None:
            points.append(IntervalPoint(label, x, None, None, None, f"{label}: no answers"))
            continue
        low, high = (ci[0], ci[1]) if ci else (score, score)
        points.append(IntervalPoint(
            label, x, _y(score, height), _y(low, height), _y(high, height),
            f"{label}: NPS {score:g} (95% interval {low:g} to {high:g}), {responses} answer(s)"))
    return IntervalChart(width=width, height=height, left=_LEFT, right=width - _RIGHT,
                         grid=tuple((_y(v, height), f"{v:+d}" if v else "0") for v in _GRID),
                         points=tuple(points), tick_every=max(1, -(-n // 8)))
