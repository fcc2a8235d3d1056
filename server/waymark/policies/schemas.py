"""Wire shapes of the policy API: decisions in, evidence records, status, verification and the report out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from waymark.wire import INT32_MAX, Line, Text

__all__ = [
    "ApiDecision",
    "CoveragePoint",
    "DecisionAck",
    "EvidenceRecord",
    "PolicyIn",
    "PolicyReport",
    "PolicyReportRow",
    "PolicyStatus",
    "PolicySummary",
    "VerifyResult",
    "WidgetDecision",
]

RequestId = Annotated[Line, msgspec.Meta(min_length=1, max_length=64)]
Id = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]
PolicyId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Version = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]
LocaleTag = Annotated[Line, msgspec.Meta(min_length=1, max_length=35)]
Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Decision = Literal["accepted", "declined", "withdrawn"]


class WidgetDecision(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/v1/policy-decisions?key=pk_…``: what the visitor decided in the prompt."""

    id: RequestId
    """Made by the widget, the same on every retry: the decision is recorded once."""
    visitor: Id
    policy: PolicyId
    version: Version
    locale: LocaleTag
    """The locale of the text shown (the delivery answer's ``policy.locale``)."""
    decision: Literal["accepted", "declined"]
    text_hash: Sha256 | None = None
    """SHA-256 of the canonical text the widget rendered; refused when it is not that version's text."""
    tenant: Id | None = None
    identity: Annotated[Line, msgspec.Meta(max_length=4096)] | None = None
    """The visitor signed by the host app, for apps that require verified identities."""
    analytics: bool = True
    """False when the visitor opted out of analytics: the decision is kept as evidence, with no event."""


class ApiDecision(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/v1/policies/{id}/decisions``: a decision the host app's server records (method ``api``)."""

    id: RequestId
    visitor: Id
    version: Version
    decision: Decision
    locale: LocaleTag | None = None
    """The locale the visitor read (default: the policy's default locale)."""
    tenant: Id | None = None


class EvidenceRecord(msgspec.Struct):
    """One evidence record, as stored: its hashes let anyone recheck the chain."""

    id: int
    seq: int
    request_id: str
    policy: str
    version: int
    locale: str
    tenant: str | None
    visitor: str
    text_hash: str
    decision: str
    method: str
    recorded_at: datetime
    user_agent: str | None
    prev_hash: str
    row_hash: str


class DecisionAck(msgspec.Struct):
    """The answer once the evidence is committed."""

    recorded: bool
    """False when this request id was recorded before (a retry): ``evidence`` is that record."""
    evidence: EvidenceRecord


class BrokenRecord(msgspec.Struct):
    id: int | None
    """The evidence record's id; null when records after the last one were removed."""
    seq: int
    reason: str


class VerifyResult(msgspec.Struct):
    intact: bool
    records: int
    first_broken: BrokenRecord | None


class PolicyStatus(msgspec.Struct):
    """Whether a visitor has accepted the policy's current version, for the host app to enforce."""

    policy: str
    visitor: str
    tenant: str | None
    current_version: int
    required: bool
    """False for a tenant's own policy asked of a visitor of another tenant."""
    accepted: bool
    """The visitor's latest decision on the current version is an acceptance."""
    decision: str | None
    """The latest decision on the current version (accepted, declined, withdrawn), or null."""
    decided_at: datetime | None
    accepted_version: int | None
    """The highest version whose latest decision is an acceptance (an older one, after a new version)."""


class PolicySummary(msgspec.Struct):
    id: str
    current_version: int | None
    """The version the published prompt shows; null when its guide is not published."""
    tenant: str | None
    allow_decline: bool
    versions: list[int]


class CoveragePoint(msgspec.Struct):
    day: date
    active: int
    """Visitors active between the version's publication and the end of this day."""
    accepted: int
    """Of them, those who had accepted the version by the end of this day."""
    coverage: float
    """accepted ÷ active (0 when no one was active)."""


class PolicyReportRow(msgspec.Struct):
    policy: str
    version: int
    tenant: str | None
    """Null: visitors without a tenant."""
    published_at: datetime
    accepted: int
    declined: int
    withdrawn: int
    pending: int
    """Visitors active since the version was published who have not decided."""
    coverage: list[CoveragePoint]


class PolicyReport(msgspec.Struct):
    rows: list[PolicyReportRow]


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    """``PUT /api/v1/policies/{id}``: a policy and its prompt, managed over REST instead of a file."""

    version: Version
    title: Annotated[Text, msgspec.Meta(min_length=1, max_length=500)] | dict[LocaleTag, Annotated[
        Text, msgspec.Meta(min_length=1, max_length=500)]]
    body: Annotated[Text, msgspec.Meta(min_length=1, max_length=64 * 1024)] | dict[LocaleTag, Annotated[
        Text, msgspec.Meta(min_length=1, max_length=64 * 1024)]]
    name: Annotated[Line, msgspec.Meta(min_length=1, max_length=200)] | None = None
    default_locale: LocaleTag = "en"
    tenant: Id | None = None
    allow_decline: bool = False
    respect_budget: bool = False
    pages: Annotated[list[Annotated[Line, msgspec.Meta(min_length=1, max_length=500)]],
                     msgspec.Meta(max_length=50)] | None = None
    """Path globs where the prompt may show (default: every page)."""
    priority: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] = 0
