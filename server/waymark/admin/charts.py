"""Chart data for the templates (no I/O): the JSON a uPlot time series reads, the geometry of an SVG bar chart."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

__all__ = ["bar_rows", "chart_payload", "format_value"]


def _epoch(day: date | datetime | str | int) -> int:
    if isinstance(day, int):  # not a time: a plain number on the x axis (a retention bracket)
        return day
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    if isinstance(day, datetime):
        return int(day.timestamp())
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _series(item: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
    if isinstance(item, Mapping):
        out: dict[str, Any] = {"label": str(item["label"]),
                               "values": [None if v is None else float(v) for v in item["values"]]}
        if item.get("dash"):
            out["dash"] = True
        return out
    label, values = item[0], item[1]
    return {"label": str(label), "values": [None if v is None else float(v) for v in values]}


def chart_payload(
    days: Iterable[date | datetime | str | int],
    series: Iterable[Mapping[str, Any] | Sequence[Any]],
    marks: Iterable[Mapping[str, Any] | Sequence[Any]] = (),
) -> dict[str, Any]:
    """What ``admin.js`` draws: x as UTC seconds, each series as ``{label, values[, dash]}``, marks as
    ``{x, label}`` (a guide publication on the activity trend, for example).

    A series is ``(label, values)`` or ``{"label", "values", "dash"}``; a mark ``(day, label)`` or
    ``{"day", "label"}``. Values may be ``None`` (a gap). Plain integers instead of days make an x axis of
    numbers (``"time": false``), such as retention brackets.
    """
    days = list(days)
    xs = [_epoch(d) for d in days]
    lines = [_series(s) for s in series]
    for line in lines:
        if len(line["values"]) != len(xs):
            raise ValueError(f"series {line['label']!r} has {len(line['values'])} values for {len(xs)} days")
    flags = []
    for mark in marks:
        day, label = (mark["day"], mark["label"]) if isinstance(mark, Mapping) else (mark[0], mark[1])
        flags.append({"x": _epoch(day), "label": str(label)})
    payload: dict[str, Any] = {"x": xs, "series": lines, "marks": flags}
    if days and all(isinstance(d, int) for d in days):
        payload["time"] = False
    return payload


def format_value(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text}{unit}" if unit in ("%", "") else f"{text} {unit}"


def bar_rows(rows: Iterable[Sequence[Any]], unit: str = "") -> list[dict[str, Any]]:
    """Each ``(label, value)`` with its bar's width as a share of the largest value (0–100)."""
    pairs = [(str(r[0]), None if r[1] is None else float(r[1])) for r in rows]
    top = max((v for _, v in pairs if v is not None and v > 0), default=0.0)
    return [
        {"label": label, "value": value, "display": format_value(value, unit),
         "width": round(100 * max(value or 0.0, 0.0) / top, 2) if top else 0.0}
        for label, value in pairs
    ]
