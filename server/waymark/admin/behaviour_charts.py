"""Chart geometry for the signal and impact pages (no I/O): server-drawn SVG, so no script is needed.

Signal's phi runs from -1 to 1, so its bars grow both ways from a centre line (the shared bar chart draws
only positive values). Impact's x axis is days relative to adoption, not dates, which the shared time-series
chart cannot draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["LINE_HEIGHT", "LINE_WIDTH", "phi_bars", "relative_lines"]

LINE_WIDTH = 640
LINE_HEIGHT = 220
_PAD = 36


def phi_bars(rows: Sequence[tuple[str, float | None]]) -> list[dict[str, Any]]:
    """Each ``(label, phi)``: the bar's start and width in percent of the chart, centred at 50% (phi 0)."""
    out = []
    for label, value in rows:
        share = 50 * abs(value) if value is not None else 0.0
        out.append({"label": label, "display": "–" if value is None else f"{value:+.3f}",
                    "x": round(50 - share if (value or 0.0) < 0 else 50.0, 2), "width": round(share, 2),
                    "negative": (value or 0.0) < 0})
    return out


def relative_lines(days: Sequence[int], series: Sequence[tuple[str, Sequence[float | None]]]) -> dict[str, Any]:
    """Polylines (SVG points) of each series over ``days``, scaled from 0 to the highest value; a missing value
    breaks its line. Also the axis ticks: first, zero and last day; zero and the top value."""
    top = max((v for _, values in series for v in values if v is not None), default=0.0) or 1.0
    span = max(len(days) - 1, 1)
    plot_w, plot_h = LINE_WIDTH - 2 * _PAD, LINE_HEIGHT - 2 * _PAD

    def x(i: int) -> float:
        return round(_PAD + plot_w * i / span, 1)

    def y(value: float) -> float:
        return round(_PAD + plot_h * (1 - value / top), 1)

    lines = []
    for label, values in series:
        parts: list[list[str]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                if parts[-1]:
                    parts.append([])
                continue
            parts[-1].append(f"{x(i)},{y(value)}")
        lines.append({"label": label, "segments": [" ".join(p) for p in parts if p]})
    ticks = [{"x": x(i), "label": str(d)} for i, d in enumerate(days) if i in (0, len(days) - 1) or d == 0]
    return {"width": LINE_WIDTH, "height": LINE_HEIGHT, "lines": lines, "x_ticks": ticks,
            "zero_x": next((t["x"] for t in ticks if t["label"] == "0"), None),
            "y_top": {"y": y(top), "label": f"{top:.2f}"}, "y_zero": {"y": y(0.0), "label": "0"},
            "left": _PAD, "right": LINE_WIDTH - _PAD}
