"""The overview's figures from plain rows, without I/O: exactly from roll-up rows, or from day summaries.

Both paths fill the same :class:`Inputs`, which :func:`assemble` turns into the report, so a
tenant's overview (read exactly from its roll-ups) and the app's (read from summaries) mean
the same thing. Days-active and frequency bands look at the 30 days up to the range's end, as
"days active out of 30" says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from waymark.analytics.overview_schemas import (
    ActivityDay,
    BandCount,
    FeatureFigure,
    Overview,
    PageFigure,
    Publication,
    ShareFigure,
)
from waymark.analytics.sketches import union_count, window_counts
from waymark.analytics.stickiness import BANDS, MONTH, WEEK, average_ratio, band, days_histogram, trailing_distinct

__all__ = ["ActiveRow", "AppDayRow", "Inputs", "KeyRow", "Rolled", "assemble", "complete", "exact_inputs",
           "summary_inputs"]

ActiveRow = tuple[date, str, str, int, int]
"""(day, tenant, visitor, events, ms): one ``active`` roll-up row."""
KeyRow = tuple[date, str, str, str, int, int]
"""(day, visitor, kind, key, count, ms): a page, feature, browser or language roll-up row."""
AppDayRow = tuple[date, str, str, int, int, int, int, bytes | None, int | None, int | None]
"""(day, kind, key, visitors, count, ms, new_visitors, sketch, wau, mau): one ``app_days`` row."""
Rolled = tuple[Sequence[int], Sequence[int]]
"""(days-active histogram, tenants per band) of the range's last day, as the refresh stored them."""


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass(slots=True)
class Inputs:
    days: list[date]
    dau: list[int]
    wau: list[int]
    mau: list[int]
    events: list[int]
    ms: list[int]
    new: list[int]
    active_visitors: int
    keys: dict[str, dict[str, tuple[int, int, int]]] = field(default_factory=dict)
    """kind → key → (count, distinct visitors over the range, ms)."""
    days_active: list[int] = field(default_factory=lambda: [0] * MONTH)
    bands: Counter[str] = field(default_factory=Counter)
    estimated: bool = False


def exact_inputs(active: Iterable[ActiveRow], keyed: Iterable[KeyRow], first_seen: Mapping[str, date],
                 start: date, end: date) -> Inputs:
    """Figures counted exactly from roll-up rows (``active`` from 29 days before ``start``)."""
    lead = _days(start - timedelta(days=MONTH - 1), end)
    index = {d: i for i, d in enumerate(lead)}
    sets: list[set[str]] = [set() for _ in lead]
    events = [0] * len(lead)
    ms = [0] * len(lead)
    tenant_days: dict[str, set[date]] = {}
    month_start = end - timedelta(days=MONTH - 1)
    for day, tenant, visitor, count, spent in active:
        i = index.get(day)
        if i is None:
            continue
        sets[i].add(visitor)
        events[i] += count
        ms[i] += spent
        if day >= month_start:
            tenant_days.setdefault(tenant, set()).add(day)
    frozen = [frozenset(s) for s in sets]
    weekly, monthly = trailing_distinct(frozen, WEEK), trailing_distinct(frozen, MONTH)
    skip = MONTH - 1
    per_visitor: Counter[str] = Counter(v for s in frozen[len(lead) - MONTH:] for v in s)
    in_range: set[str] = set().union(*frozen[skip:])
    keys: dict[str, dict[str, tuple[set[str], list[int]]]] = {}
    for day, visitor, kind, key, count, spent in keyed:
        if not start <= day <= end:
            continue
        who, sums = keys.setdefault(kind, {}).setdefault(key, (set(), [0, 0]))
        if count or kind != "page":
            who.add(visitor)
        sums[0] += count
        sums[1] += spent
    return Inputs(
        days=lead[skip:], dau=[len(s) for s in frozen[skip:]], wau=weekly[skip:], mau=monthly[skip:],
        events=events[skip:], ms=ms[skip:],
        new=[sum(1 for v in frozen[i] if first_seen.get(v) == lead[i]) for i in range(skip, len(lead))],
        active_visitors=len(in_range),
        keys={kind: {k: (s[0], len(w), s[1]) for k, (w, s) in found.items()} for kind, found in keys.items()},
        days_active=days_histogram(per_visitor.values()),
        bands=Counter(b for b in (band(len(d)) for d in tenant_days.values()) if b),
    )


def complete(app_days: Iterable[AppDayRow], start: date, end: date) -> bool:
    """Whether every day of the range has its stored WAU and MAU (else they are worked out from sketches)."""
    stored = {row[0] for row in app_days if row[1] == "active" and row[9] is not None}
    return all(d in stored for d in _days(start, end))


def summary_inputs(app_days: Iterable[AppDayRow], rolled: Rolled | None,
                   tenant_ends: Iterable[tuple[int, Sequence[int]]], start: date, end: date) -> Inputs:
    """Figures from ``app_days`` rows: their stored WAU and MAU when every day of the range has them (else
    the ``active`` rows from 29 days before ``start`` on, to union), the stored histogram and bands of
    ``end`` (``rolled``) or else, per tenant, its ``tenant_days`` row on ``end`` (active days, histogram)."""
    rows = list(app_days)
    stored = complete(rows, start, end)
    lead = _days(start - timedelta(days=MONTH - 1), end)
    index = {d: i for i, d in enumerate(lead)}
    n = len(lead)
    dau, events, ms, new, wau, mau = [0] * n, [0] * n, [0] * n, [0] * n, [0] * n, [0] * n
    sketches: list[bytes | None] = [None] * n
    keys: dict[str, dict[str, tuple[list[bytes | None], list[int]]]] = {}
    for day, kind, key, visitors, count, spent, fresh, sketch, weekly, monthly in rows:
        i = index.get(day)
        if i is None:
            continue
        if kind == "active":
            dau[i], events[i], ms[i], new[i], sketches[i] = visitors, count, spent, fresh, sketch
            wau[i], mau[i] = weekly or 0, monthly or 0
        elif day >= start:
            blobs, sums = keys.setdefault(kind, {}).setdefault(key, ([], [0, 0]))
            blobs.append(sketch)
            sums[0] += count
            sums[1] += spent
    skip = MONTH - 1
    if not stored:
        wau, mau = window_counts(sketches, WEEK), window_counts(sketches, MONTH)
    histogram = [0] * MONTH
    bands: Counter[str] = Counter()
    if rolled is not None:
        histogram = [int(x) for x in rolled[0][:MONTH]] + [0] * max(0, MONTH - len(rolled[0]))
        bands.update({name: int(count) for name, count in zip(BANDS, rolled[1], strict=False) if count})
    else:
        for active_days, hist in tenant_ends:
            for k, count in enumerate(hist[:MONTH]):
                histogram[k] += int(count)
            named = band(active_days)
            if named:
                bands[named] += 1
    return Inputs(
        days=lead[skip:], dau=dau[skip:], wau=wau[skip:], mau=mau[skip:], events=events[skip:],
        ms=ms[skip:], new=new[skip:], active_visitors=union_count(sketches[skip:]),
        keys={kind: {k: (s[0], union_count(b), s[1]) for k, (b, s) in found.items()} for kind, found in keys.items()},
        days_active=histogram, bands=bands, estimated=True,
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def assemble(
    inputs: Inputs, *, tenant: str | None, segment: str | None, page_names: Mapping[str, str],
    feature_names: Mapping[str, str], publications: Sequence[Publication], pending_days: int,
) -> Overview:
    """The report: only pages and features still defined are listed (their names from ``*_names``)."""
    active = inputs.active_visitors
    new = min(sum(inputs.new), active)
    dau_mau = average_ratio(inputs.dau, inputs.mau)
    wau_mau = average_ratio(inputs.wau, inputs.mau)
    zero = (0, 0, 0)
    pages = sorted((
        PageFigure(id=pid, name=name, views=t[0], visitors=t[1], ms=t[2],
                   ms_per_view=round(t[2] / t[0], 1) if t[0] else None)
        for pid, name in page_names.items() for t in [inputs.keys.get("page", {}).get(pid, zero)]
    ), key=lambda p: (-p.views, -p.ms, p.id))
    features = sorted((
        FeatureFigure(id=fid, name=name, clicks=t[0], visitors=t[1], adoption=_share(t[1], active))
        for fid, name in feature_names.items() for t in [inputs.keys.get("feature", {}).get(fid, zero)]
    ), key=lambda f: (-f.visitors, -f.clicks, f.id))

    def shares(kind: str) -> list[ShareFigure]:
        found = inputs.keys.get(kind, {})
        return sorted((ShareFigure(key=k, visitors=t[1], share=_share(t[1], active)) for k, t in found.items()),
                      key=lambda s: (-s.visitors, s.key))

    active_days = sum(inputs.dau)
    return Overview(
        tenant=tenant, segment=segment, from_=inputs.days[0], to=inputs.days[-1], active_visitors=active,
        new_visitors=new, returning_visitors=active - new,
        average_dau=round(active_days / len(inputs.days), 2) if inputs.days else 0.0,
        wau=inputs.wau[-1] if inputs.wau else 0, mau=inputs.mau[-1] if inputs.mau else 0,
        stickiness_dau_mau=None if dau_mau is None else round(dau_mau, 4),
        stickiness_wau_mau=None if wau_mau is None else round(wau_mau, 4),
        events=sum(inputs.events), ms=sum(inputs.ms),
        ms_per_active_day=round(sum(inputs.ms) / active_days, 1) if active_days else None,
        days=[ActivityDay(day=d, dau=inputs.dau[i], wau=inputs.wau[i], mau=inputs.mau[i], events=inputs.events[i],
                          ms=inputs.ms[i], new_visitors=inputs.new[i]) for i, d in enumerate(inputs.days)],
        days_active=inputs.days_active,
        bands=[BandCount(band=b, tenants=inputs.bands.get(b, 0)) for b in BANDS],
        pages=pages, features=features, browsers=shares("browser"), languages=shares("language"),
        publications=list(publications), estimated=inputs.estimated, pending_days=pending_days,
    )
