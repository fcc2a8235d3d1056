"""Geometry of the benchmark charts (no I/O): strip plots of a metric per peer group, a tenant's position bar.

Positions are percentages of the chart's width, so the server-rendered SVG scales to any screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from waymark.peers.schemas import Benchmark, Distribution

__all__ = ["BINS", "MAX_DOTS", "Axis", "PositionBar", "Strip", "axis_for", "histogram", "position_bar", "strips"]

_TICKS = 5
MAX_DOTS = 150
"""A group with more figures than this is drawn as a histogram (the page stays the same size as tenants grow)."""
BINS = 20


@dataclass(frozen=True, slots=True)
class Axis:
    low: float
    high: float
    ticks: tuple[tuple[float, str], ...]
    """(x in %, label)."""

    def x(self, value: float) -> float:
        span = self.high - self.low
        return round(100 * (value - self.low) / span, 2) if span else 50.0


@dataclass(frozen=True, slots=True)
class Strip:
    """One peer group's row: its dots, box (p25 to p75), median and p90 marks; or the reason it is hidden."""

    group: str
    peers: int
    dots: tuple[tuple[float, int], ...] = ()
    """(x in %, vertical offset in px): values spread over three lanes so equal ones stay visible."""
    box: tuple[float, float] | None = None
    marks: tuple[tuple[str, float], ...] = ()
    """("p50" | "p90", x in %)."""
    bars: tuple[tuple[float, float, float], ...] = ()
    """A histogram instead of dots for a large group: (x in %, width in %, height as a share of the tallest)."""
    listing: str = ""
    """The same figures as text, for the table under the chart: each value, or each bin with its count."""
    hidden: str | None = None


@dataclass(frozen=True, slots=True)
class PositionBar:
    """A tenant's percentile rank on a 0-100 bar, with the 25/50/75/90 marks of that same scale."""

    metric: str
    x: float | None
    marks: tuple[float, ...] = field(default=(25.0, 50.0, 75.0, 90.0))


def _nice_step(span: float) -> float:
    raw = span / _TICKS
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def axis_for(values: Sequence[float], unit: str) -> Axis:
    """An axis covering ``values`` with round ticks, at least 10 points wide, within the metric's bounds
    (0-100 for a share, -100-100 for NPS, which is also the axis when there are no values)."""
    bottom, top = (-100.0, 100.0) if unit == "points" else (0.0, 100.0)
    low, high = (min(values), max(values)) if values else (bottom, top)
    if high - low < 10:
        pad = (10 - (high - low)) / 2
        low, high = low - pad, high + pad
        if low < bottom:
            low, high = bottom, high + bottom - low
        if high > top:
            low, high = low - (high - top), top
    step = _nice_step(high - low)
    low, high = max(math.floor(low / step) * step, bottom), min(math.ceil(high / step) * step, top)
    ticks: list[tuple[float, str]] = []
    value = low
    while value <= high + 1e-9:
        label = f"{value:g}" + ("%" if unit == "%" else "")
        ticks.append((round(100 * (value - low) / (high - low), 2), label))
        value += step
    return Axis(low, high, tuple(ticks))


def strips(groups: Sequence[Distribution], unit: str) -> tuple[Axis, list[Strip]]:
    """The strip plot of one metric: a shared axis and one row per group."""
    axis = axis_for([v for d in groups if d.available for v in d.values], unit)
    rows: list[Strip] = []
    for d in groups:
        if not d.available:
            rows.append(Strip(group=d.group, peers=d.peers, hidden=d.message))
            continue
        marks = [("p50", axis.x(d.p50))] if d.p50 is not None else []
        if d.p90 is not None:
            marks.append(("p90", axis.x(d.p90)))
        box = (axis.x(d.p25), axis.x(d.p75)) if d.p25 is not None and d.p75 is not None else None
        if len(d.values) <= MAX_DOTS:
            rows.append(Strip(group=d.group, peers=d.peers, box=box, marks=tuple(marks),
                              dots=tuple((axis.x(v), (i % 3 - 1) * 5) for i, v in enumerate(d.values)),
                              listing=", ".join(f"{v:g}" for v in d.values)))
            continue
        counts = histogram(d.values, axis.low, axis.high)
        top = max(counts)
        width = (axis.high - axis.low) / BINS
        rows.append(Strip(group=d.group, peers=d.peers, box=box, marks=tuple(marks),
                          bars=tuple((round(100 * i / BINS, 2), round(100 / BINS, 2), n / top)
                                     for i, n in enumerate(counts) if n),
                          listing="; ".join(f"{axis.low + i * width:g} to {axis.low + (i + 1) * width:g}: {n}"
                                            for i, n in enumerate(counts) if n)))
    return axis, rows


def histogram(values: Sequence[float], low: float, high: float, bins: int = BINS) -> list[int]:
    """How many values fall in each of ``bins`` equal bins from ``low`` to ``high`` (the last one closed)."""
    counts = [0] * bins
    span = (high - low) or 1.0
    for v in values:
        counts[min(max(int((v - low) / span * bins), 0), bins - 1)] += 1
    return counts


def position_bar(answer: Benchmark, label: str) -> PositionBar:
    return PositionBar(metric=label, x=float(answer.percentile) if answer.percentile is not None else None)
