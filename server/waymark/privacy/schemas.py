"""Wire shapes of the privacy API: app settings, tenant privacy, a visitor's export, erasure records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from waymark.events.export import ExportedEvent
from waymark.holdouts.schemas import HoldoutExport
from waymark.policies.schemas import EvidenceRecord
from waymark.surveys.schemas import SurveyAnswerExport

__all__ = [
    "MAX_DROP_FIELDS",
    "AliasExport",
    "AppPrivacy",
    "ErasureRecord",
    "GuideStateExport",
    "TenantPrivacy",
    "UsageExport",
    "VisitorExport",
    "VisitorProfile",
]

MAX_DROP_FIELDS = 100
FieldName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class AppPrivacy(msgspec.Struct, forbid_unknown_fields=True):
    """``GET``/``PUT /api/v1/settings``: privacy and the attention budget.

    ``honor_dnt`` and ``retention_days`` are required on ``PUT`` (``null`` keeps events forever);
    the two budget fields are optional there (left out or ``null``: unchanged).
    """

    honor_dnt: bool
    """The widget sends nothing for visitors whose browser sends Do Not Track."""
    retention_days: Annotated[int, msgspec.Meta(ge=1, le=36_500)] | None
    """Events older than this many days are purged; ``null`` keeps them."""
    throttle_seconds: Annotated[int, msgspec.Meta(ge=0, le=31_536_000)] | None = None
    """The attention budget's interval: at most one automatic guide per visitor per this many seconds
    (a guide may set its own; guides with ``ignore_throttle`` neither use nor wait for it)."""
    max_auto_guides_per_day: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None
    """At most this many automatic guides per visitor per UTC day; 0 sets no daily maximum."""


class TenantPrivacy(msgspec.Struct, forbid_unknown_fields=True):
    """``GET``/``PUT /api/v1/tenants/{tenant_id}/privacy``: both fields are required on ``PUT``."""

    opted_out: bool
    """The tenant stopped collection: events of its visitors are refused."""
    drop_fields: Annotated[list[FieldName], msgspec.Meta(max_length=MAX_DROP_FIELDS)]
    """Visitor fields never stored for this tenant's visitors (``email`` …); setting them also removes them
    from what is already stored."""


class VisitorProfile(msgspec.Struct):
    id: str
    tenant: str | None
    meta: dict[str, object]
    first_seen: datetime
    last_seen: datetime
    last_auto_guide_at: datetime | None
    last_auto_guide_id: str | None = None
    auto_guides_day: datetime | None = None
    auto_guides_count: int = 0
    """Automatic guides started on ``auto_guides_day`` (the attention budget's daily count)."""


class PurgeRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/v1/retention/purge``."""

    dry_run: bool = False
    """Count the expired events; delete nothing."""


class PurgeResult(msgspec.Struct):
    """What a purge of the app's expired events did (``retention_days: null``: the app keeps events forever)."""

    retention_days: int | None
    cutoff: datetime | None
    """Events before this moment were expired."""
    deleted: int
    """Events deleted, or that would be with ``dry_run``."""
    dry_run: bool


class AliasExport(msgspec.Struct):
    """An earlier (anonymous) id of the visitor, with what was stored under it."""

    alias: str
    created_at: datetime
    profile: VisitorProfile | None


class GuideStateExport(msgspec.Struct):
    visitor: str
    """The visitor id or one of its aliases."""
    guide: str
    status: str
    step: int
    last_seen_at: datetime | None
    snoozed_until: datetime | None
    completed_at: datetime | None
    updated_at: datetime


class UsageExport(msgspec.Struct):
    """One roll-up row: per day × tenant × visitor × (page | feature | event | guide | active)."""

    day: date
    tenant: str | None
    visitor: str
    kind: str
    key: str
    count: int
    ms: int


class ErasureRecord(msgspec.Struct):
    """The answer of an erasure, and one line of the record of erasures."""

    visitor: str
    events_deleted: int
    erased_at: datetime
    evidence_kept: int = 0
    """Policy decisions of this visitor that were kept: evidence is a legal-obligation record, never erased."""


class VisitorExport(msgspec.Struct):
    """Everything stored about one visitor (data access request)."""

    visitor: str
    profile: VisitorProfile | None
    aliases: list[AliasExport]
    """Earlier ids that now point to this visitor."""
    alias_of: str | None
    """The visitor id this id is itself an alias of, if any."""
    guide_states: list[GuideStateExport]
    events: list[ExportedEvent]
    """Every stored event, oldest first, in the shape of the NDJSON export."""
    daily_usage: list[UsageExport]
    erasures: list[ErasureRecord]
    """Earlier erasures of this id: after an erasure the export holds only these and the policy evidence."""
    policy_evidence: list[EvidenceRecord] = msgspec.field(default_factory=list)
    """Every policy decision recorded under these ids (kept through erasure), in chain order."""
    survey_answers: list[SurveyAnswerExport] = msgspec.field(default_factory=list)
    holdouts: list[HoldoutExport] = msgspec.field(default_factory=list)
    """Guides the visitor was held out of: erased with the rest."""
    """Every NPS and poll answer stored under these ids, oldest first (erased with the events)."""
