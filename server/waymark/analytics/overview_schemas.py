"""Shapes of the overview, tenants and visitor reports (what their pages show and their JSON holds)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

__all__ = [
    "ActivityDay",
    "AnswerSeen",
    "BandCount",
    "FeatureFigure",
    "GuideSeenRow",
    "Overview",
    "PageFigure",
    "PolicyStatusRow",
    "Publication",
    "ShareFigure",
    "TenantHealth",
    "TenantMilestone",
    "TenantProfile",
    "TenantsReport",
    "TimelineEvent",
    "VisitorActivity",
    "VisitorProfile",
]


class ActivityDay(msgspec.Struct, kw_only=True):
    day: date
    dau: int
    wau: int
    """Distinct visitors in the 7 days up to ``day``."""
    mau: int
    """Distinct visitors in the 30 days up to ``day``."""
    events: int
    ms: int
    new_visitors: int


class PageFigure(msgspec.Struct, kw_only=True):
    id: str
    name: str
    views: int
    visitors: int
    ms: int
    """Visible time on the page over the range."""
    ms_per_view: float | None


class FeatureFigure(msgspec.Struct, kw_only=True):
    id: str
    name: str
    clicks: int
    visitors: int
    adoption: float | None
    """Share of the range's active visitors who used the feature."""


class ShareFigure(msgspec.Struct, kw_only=True):
    key: str
    visitors: int
    share: float | None


class BandCount(msgspec.Struct, kw_only=True):
    band: str
    tenants: int


class Publication(msgspec.Struct, kw_only=True):
    day: date
    at: datetime
    guide: str
    name: str
    version: int


class Overview(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    """Adoption of an app, or of one tenant (``tenant``), over the UTC days ``from``..``to``."""

    tenant: str | None
    segment: str | None
    from_: date
    to: date
    active_visitors: int
    """Distinct visitors active in the range."""
    new_visitors: int
    """Of them, first seen in the range (on a day they were active)."""
    returning_visitors: int
    average_dau: float
    wau: int
    """As of ``to``."""
    mau: int
    """As of ``to``."""
    stickiness_dau_mau: float | None
    """The average over the range's days of DAU/MAU (days with MAU 0 left out)."""
    stickiness_wau_mau: float | None
    events: int
    ms: int
    """Visible time in the app over the range."""
    ms_per_active_day: float | None
    """Time in the app per visitor and active day."""
    days: list[ActivityDay]
    days_active: list[int]
    """``[n1, …, n30]``: visitors active on exactly k of the 30 days up to ``to``."""
    bands: list[BandCount]
    """Tenants by days with an active visitor out of the 30 up to ``to``: 1–4, 5–12, 13+."""
    pages: list[PageFigure]
    features: list[FeatureFigure]
    browsers: list[ShareFigure]
    languages: list[ShareFigure]
    publications: list[Publication]
    estimated: bool
    """Distinct counts over several days come from sketches (~1.6 % error past a few hundred visitors)."""
    pending_days: int
    """Days whose summaries are waiting for the next refresh (their figures may lag a little)."""


class TenantMilestone(msgspec.Struct, kw_only=True):
    """A milestone a tenant holds or held (product-qualified tenants: see :mod:`waymark.behaviour.milestones`)."""

    milestone: str
    name: str
    active: bool
    became_true_at: datetime
    became_false_at: datetime | None


class TenantHealth(msgspec.Struct, kw_only=True):
    tenant: str
    name: str | None
    opted_out: bool
    active_visitors: int
    """Distinct visitors in the 30 days up to the range's end."""
    stickiness: float | None
    """Average DAU/MAU over the range."""
    stickiness_wau_mau: float | None
    average_dau: float
    previous_average_dau: float
    trend: str
    """``up``, ``down`` or ``flat``: average daily active visitors against the period before."""
    trend_change: float | None
    active_days: int
    band: str | None
    nps: float | None
    nps_responses: int
    policy_coverage: float | None
    """Share of the 30 days' active visitors who accepted every current policy (this page's rows only)."""
    milestones: list[TenantMilestone] = msgspec.field(default_factory=list)
    """The milestones the tenant holds now (filled in by the page, which reads the flags)."""


class TenantsReport(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    from_: date
    to: date
    segment: str | None
    sort: str
    order: str
    page: int
    pages: int
    total: int
    tenants: list[TenantHealth]


class VisitorActivity(msgspec.Struct, kw_only=True):
    visitor: str
    days_active: int
    events: int


class TenantProfile(msgspec.Struct, kw_only=True):
    tenant: str
    meta: dict[str, Any]
    opted_out: bool
    drop_fields: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    overview: Overview
    visitors: list[VisitorActivity]
    """The most active visitors of the range (at most 20), most days first."""
    milestones: list[TenantMilestone] = msgspec.field(default_factory=list)
    """The milestones it holds or held, holding first, with their times (filled in by the page)."""


class TimelineEvent(msgspec.Struct, kw_only=True):
    at: datetime
    type: str
    name: str | None
    url: str | None
    guide: str | None
    tenant: str | None


class GuideSeenRow(msgspec.Struct, kw_only=True):
    guide: str
    name: str | None
    status: str
    step: int
    last_seen_at: datetime | None
    completed_at: datetime | None


class AnswerSeen(msgspec.Struct, kw_only=True):
    guide: str
    kind: str
    question: str
    at: datetime
    score: int | None
    answer: str | None


class PolicyStatusRow(msgspec.Struct, kw_only=True):
    policy: str
    version: int | None
    status: str


class VisitorProfile(msgspec.Struct, kw_only=True):
    visitor: str
    tenant: str | None
    meta: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    days_active: int
    """Days active in the 30 days up to today."""
    timeline: list[TimelineEvent]
    guides: list[GuideSeenRow]
    answers: list[AnswerSeen]
    policies: list[PolicyStatusRow]
