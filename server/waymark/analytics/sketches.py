"""Distinct visitors over days as HyperLogLog sketches (Apache DataSketches): built per day, merged per range.

Why sketches and not exact sets: an app-wide day at ten million events holds ~11,000 visitors,
and a month's monthly-active count needs the union of thirty such days. Exact sets would mean
reading ~330,000 visitor ids per report (the very cost the summaries remove); a sketch of
``lg_k = 12`` is at most ~2 KB whatever the day's size and merges in microseconds. Below a few
hundred visitors the sketch keeps the coupons themselves, so small apps and tenants get exact
counts (rounded); above that the relative standard error is 1.6 %, well within what a DAU/MAU
chart needs. Per-day counts (DAU) are stored exactly beside the sketch; only unions across days
are estimated. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import datasketches

from waymark.analytics.stickiness import sliding

__all__ = ["LG_K", "estimate", "sketch_of", "union_count", "window_counts"]

LG_K = 12
"""Registers 2^12: ~1.6 % error past a few hundred distinct ids, exact below."""
_TYPE = datasketches.tgt_hll_type.HLL_4


def sketch_of(ids: Iterable[str]) -> bytes:
    """The serialised sketch of these ids (empty input gives an empty sketch)."""
    sketch = datasketches.hll_sketch(LG_K, _TYPE)
    for visitor in ids:
        sketch.update(visitor)
    return bytes(sketch.serialize_compact())


def _load(blob: bytes | None) -> datasketches.hll_sketch | None:
    return datasketches.hll_sketch.deserialize(blob) if blob else None


def estimate(sketch: datasketches.hll_sketch | None) -> int:
    return round(sketch.get_estimate()) if sketch is not None else 0


def _merge(a: datasketches.hll_sketch | None, b: datasketches.hll_sketch | None) -> datasketches.hll_sketch | None:
    if a is None:
        return b
    if b is None:
        return a
    union = datasketches.hll_union(LG_K)
    union.update(a)
    union.update(b)
    return union.get_result(_TYPE)


def union_count(blobs: Iterable[bytes | None]) -> int:
    """Distinct ids over every sketch given (0 for none)."""
    union = datasketches.hll_union(LG_K)
    seen = False
    for blob in blobs:
        sketch = _load(blob)
        if sketch is not None:
            union.update(sketch)
            seen = True
    return estimate(union.get_result(_TYPE)) if seen else 0


def window_counts(blobs: Sequence[bytes | None], width: int) -> list[int]:
    """Distinct ids in each trailing window of ``width`` days (the window at i ends on day i)."""
    return [estimate(s) for s in sliding([_load(b) for b in blobs], width, _merge)]
