"""The guide reports' answers: typed, the same shape in a page's JSON and in its table."""

from __future__ import annotations

from datetime import date

import msgspec

__all__ = ["GuideDay", "GuideListRow", "GuideReport", "GuidesList", "StepReach"]


class GuideListRow(msgspec.Struct, omit_defaults=True):
    guide: str
    name: str
    kind: str
    published: bool
    views: int
    visitors: int
    """Distinct visitors who saw the guide in the range."""
    completed: int
    """Of those, visitors who completed it in the range."""
    completion_rate: float | None = None


class GuidesList(msgspec.Struct):
    start: date
    end: date
    segment: str | None
    guides: list[GuideListRow]
    estimated: bool = False
    """Visitor counts merged from the guide-days' sketches (the whole app): exact to 4,096, ~1.6 % error beyond."""


class StepReach(msgspec.Struct):
    step: int
    """1-based, as people count steps."""
    title: str
    visitors: int
    """Distinct visitors shown this step (or a later one) in the range."""
    share: float | None
    """Of the visitors who reached the first step."""


class GuideDay(msgspec.Struct):
    day: date
    views: int
    visitors: int
    completed: int
    dismissed: int
    snoozed: int
    anchor_missing: int


class GuideReport(msgspec.Struct, omit_defaults=True):
    guide: str
    name: str
    kind: str
    start: date
    end: date
    segment: str | None
    views: int
    visitors: int
    completed: int
    dismissed: int
    snoozed: int
    anchor_missing: int
    """``guide_anchor_missing`` events: the tooltip's element was not on the page, so the guide was skipped."""
    anchor_missing_visitors: int
    timed: int
    """Showings with a known start that ended in the range (the sample of the median)."""
    steps: list[StepReach]
    days: list[GuideDay]
    completion_rate: float | None = None
    dismiss_rate: float | None = None
    snooze_rate: float | None = None
    median_ms: int | None = None
    """Median time from a showing's first ``guide_seen`` to its ``guide_completed`` or ``guide_dismissed``."""
    estimated: bool = False
    """Visitor counts and the median merged from the guide-days' sketches (the whole app): see :class:`GuidesList`."""
