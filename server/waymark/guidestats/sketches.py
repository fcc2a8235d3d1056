"""A guide's day as mergeable figures, so a range reads O(days) rows whatever the number of visitors (pure: no I/O).

Each (guide, day) keeps one value per *figure*: sums (``views``, ``anchor_events``, ``timed``),
sets of visitors as Theta sketches (Apache DataSketches: ``seen``, ``completed``, ``dismissed``,
``snoozed``, ``anchored``, and ``top:N`` for the visitors whose top step that day was at least N),
and the showings' lengths as a KLL quantile sketch (``timed``). Theta rather than the overview's
HyperLogLog because the guide figures need intersections too ("completed it *and* saw it in the
range"). A sketch keeps the visitors' hashes exactly up to :data:`LG_K` entries (4,096), so counts
are exact below that and estimated (relative standard error ~1.6 %) above; the median time is
exact up to :data:`KLL_K` timed visitor-days and within ~1.7 % of rank above.

Visitor sets grow by union, so ingest only adds; what removes a visitor (an alias merged away, an
erasure) recomputes the day from its rows (:func:`day_figures`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import datasketches

__all__ = [
    "KLL_K",
    "LG_K",
    "SETS",
    "SUMS",
    "DayFigures",
    "RangeFigures",
    "day_figures",
    "merged",
    "read_range",
    "top_figure",
    "union_estimate",
    "visitor_set",
]

LG_K = 12
"""Theta sketches of 2^12 nominal entries: exact below 4,096 visitors, ~1.6 % error above."""
KLL_K = 200
"""The KLL sketch's accuracy parameter: every length kept up to 200 of them, ~1.7 % rank error beyond."""
SETS = ("seen", "completed", "dismissed", "snoozed", "anchored")
"""Visitor-set figures (besides ``top:N``): the visitors whose day row has that column above zero."""
SUMS = ("views", "anchor_events")
"""Figures that are plain sums of the day rows (``seen`` and ``anchor_missing``)."""
_SET_COLUMNS = {"seen": 0, "completed": 2, "dismissed": 3, "snoozed": 4, "anchored": 5}
_SUM_COLUMNS = {"views": 0, "anchor_events": 5}
_TOP, _TIMED, _TIMED_MS = 1, 6, 7


def top_figure(step: int) -> str:
    return f"top:{step}"


@dataclass(slots=True)
class DayFigures:
    """What some day rows of one (guide, day) add: sums, visitors per set figure, showing lengths."""

    sums: dict[str, int] = field(default_factory=dict)
    sets: dict[str, set[str]] = field(default_factory=dict)
    lengths: list[tuple[float, int]] = field(default_factory=list)
    """(mean length in ms, showings) per visitor-day row that timed any."""


def day_figures(rows: Iterable[tuple[str, Sequence[int]]]) -> DayFigures:
    """The figures of (visitor, values in :data:`~waymark.guidestats.fold.FIELDS` order) rows of one guide-day."""
    figures = DayFigures()
    for visitor, values in rows:
        for name, column in _SUM_COLUMNS.items():
            if values[column]:
                figures.sums[name] = figures.sums.get(name, 0) + int(values[column])
        for name, column in _SET_COLUMNS.items():
            if values[column] > 0:
                figures.sets.setdefault(name, set()).add(visitor)
        if values[_TOP] >= 0:
            figures.sets.setdefault(top_figure(int(values[_TOP])), set()).add(visitor)
        if values[_TIMED] > 0:
            figures.lengths.append((values[_TIMED_MS] / values[_TIMED], int(values[_TIMED])))
            figures.sums["timed"] = figures.sums.get("timed", 0) + int(values[_TIMED])
    return figures


def _theta(blob: bytes) -> datasketches.compact_theta_sketch:
    return datasketches.compact_theta_sketch.deserialize(blob)


def visitor_set(visitors: Iterable[str], stored: bytes | None) -> tuple[int, bytes]:
    """(estimate, sketch) of the visitors added to a ``stored`` Theta sketch (None: none yet)."""
    sketch = datasketches.update_theta_sketch(LG_K)
    for visitor in sorted(visitors):
        sketch.update(visitor)
    if stored is None:
        result = sketch.compact()
    else:
        union = datasketches.theta_union(LG_K)
        union.update(_theta(stored))
        union.update(sketch)
        result = union.get_result()
    return round(result.get_estimate()), bytes(result.serialize())


def _lengths_blob(lengths: Sequence[tuple[float, int]], stored: bytes | None) -> bytes:
    sketch = datasketches.kll_doubles_sketch.deserialize(stored) if stored else datasketches.kll_doubles_sketch(KLL_K)
    for length, showings in lengths:
        for _ in range(showings):
            sketch.update(length)
    return bytes(sketch.serialize())


def merged(figures: DayFigures, stored: Mapping[str, tuple[int, bytes | None]]) -> dict[str, tuple[int, bytes | None]]:
    """The (count, sketch) of each figure that ``figures`` changes, added to what is ``stored`` of the day.

    A set figure's count is its sketch's estimate (exact below 4,096 visitors); the ``timed``
    figure's sketch holds the lengths.
    """
    out: dict[str, tuple[int, bytes | None]] = {}
    for name, visitors in figures.sets.items():
        out[name] = visitor_set(visitors, stored.get(name, (0, None))[1])
    for name, value in figures.sums.items():
        count, blob = stored.get(name, (0, None))
        out[name] = (count + value, blob)
    if figures.lengths:
        count = out.get("timed", stored.get("timed", (0, None)))[0]
        out["timed"] = (count, _lengths_blob(figures.lengths, stored.get("timed", (0, None))[1]))
    return out


@dataclass(slots=True)
class RangeFigures:
    """A guide's figures over days: sums, distinct visitors, the steps' reach and the showings' lengths."""

    views: int = 0
    anchor_events: int = 0
    visitors: int = 0
    """Visitors who saw the guide."""
    completed: int = 0
    """Of those, visitors who completed it (likewise dismissed, snoozed)."""
    dismissed: int = 0
    snoozed: int = 0
    anchored: int = 0
    """Visitors whose tooltip's element never appeared."""
    reach: dict[int, int] = field(default_factory=dict)
    """Visitors whose top step in the range is each step (0-based), as :func:`~.figures.step_reach` takes them."""
    lengths: list[tuple[int, int]] = field(default_factory=list)
    """(showings, summed ms) pairs as :func:`~.figures.median_of_runs` takes them."""
    found: bool = False


def read_range(rows: Iterable[tuple[str, int, bytes | None]], with_steps: bool = True) -> RangeFigures:
    """Merge (figure, count, sketch) rows of a guide's days into the range's figures."""
    unions: dict[str, datasketches.theta_union] = {}
    lengths: datasketches.kll_doubles_sketch | None = None
    out = RangeFigures()
    for name, count, blob in rows:
        out.found = True
        if name in SUMS:
            setattr(out, name, getattr(out, name) + int(count))
        elif name == "timed":
            if blob:
                sketch = datasketches.kll_doubles_sketch.deserialize(blob)
                if lengths is None:
                    lengths = sketch
                else:
                    lengths.merge(sketch)
        elif blob and (with_steps or not name.startswith("top:")):
            unions.setdefault(name, datasketches.theta_union(LG_K)).update(_theta(blob))
    results = {name: union.get_result() for name, union in unions.items()}
    seen = results.get("seen")
    out.visitors = _estimate(seen)
    out.anchored = _estimate(results.get("anchored"))
    for name in ("completed", "dismissed", "snoozed"):
        setattr(out, name, _both(seen, results.get(name)))
    out.reach = _tops(results) if with_steps else {}
    if lengths is not None:
        out.lengths = [(int(weight), round(length * weight)) for length, weight in lengths]
    return out


def union_estimate(blobs: Iterable[bytes | None]) -> int:
    """Distinct visitors over Theta sketches (0 for none)."""
    union = datasketches.theta_union(LG_K)
    for blob in blobs:
        if blob:
            union.update(_theta(blob))
    return _estimate(union.get_result())


def _estimate(sketch: datasketches.compact_theta_sketch | None) -> int:
    return round(sketch.get_estimate()) if sketch is not None else 0


def _both(a: datasketches.compact_theta_sketch | None, b: datasketches.compact_theta_sketch | None) -> int:
    if a is None or b is None:
        return 0
    both = datasketches.theta_intersection()
    both.update(a)
    both.update(b)
    return _estimate(both.get_result())


def _tops(results: Mapping[str, datasketches.compact_theta_sketch]) -> dict[int, int]:
    """Visitors per top step over the range: reached step N or later (a union from the last step down), less
    those counted at a later step; estimates kept from growing backwards."""
    steps = sorted((int(name.split(":", 1)[1]) for name in results if name.startswith("top:")), reverse=True)
    union = datasketches.theta_union(LG_K)
    tops: dict[int, int] = {}
    later = 0
    for step in steps:
        union.update(results[top_figure(step)])
        reached = max(_estimate(union.get_result()), later)
        tops[step] = reached - later
        later = reached
    return tops
