"""Wire shapes of the NPS, comment and poll reports."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

__all__ = [
    "NpsComment",
    "NpsComments",
    "NpsFiguresOut",
    "NpsPeriod",
    "NpsReport",
    "NpsTenant",
    "PollOptionResult",
    "PollQuestionResult",
    "PollReport",
    "PollTenant",
    "PollText",
    "SurveyAnswerExport",
]


class NpsFiguresOut(msgspec.Struct, kw_only=True):
    responses: int
    """Visitors who answered (each visitor's latest answer counts once); dismissals are not answers."""
    promoters: int
    passives: int
    detractors: int
    score: float | None
    """%promoters − %detractors (−100 to 100); null without answers."""
    ci95: list[float] | None
    """[low, high]: score ± 1.96 × 100 × √((p + d − (p − d)²) / n); null without answers."""


class NpsPeriod(NpsFiguresOut, kw_only=True):
    start: date
    """First UTC day of the interval."""


class NpsTenant(NpsFiguresOut, kw_only=True):
    tenant: str
    """``""``: answers without a tenant."""


class NpsReport(NpsFiguresOut, kw_only=True, rename={"from_": "from"}):
    guide: str
    tenant: str | None
    """``null``: every tenant."""
    from_: date
    to: date
    interval: str
    shown: int
    """Visitors shown the survey in the range."""
    response_rate: float | None
    """responses ÷ shown; null when nobody was shown it."""
    series: list[NpsPeriod]
    tenants: list[NpsTenant]
    """The same figures per tenant."""


class NpsComment(msgspec.Struct, kw_only=True):
    ts: datetime
    visitor: str
    tenant: str
    score: int
    category: str
    comment: str
    """Plain text as the visitor typed it: never render it as HTML."""


class NpsComments(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    guide: str
    tenant: str | None
    from_: date
    to: date
    comments: list[NpsComment]
    truncated: bool
    """More comments matched than `limit`."""


class PollOptionResult(msgspec.Struct, kw_only=True):
    id: str
    label: str
    count: int
    share: float | None
    """count ÷ responses to the question (multiple choice shares may add up to more than 1)."""


class PollText(msgspec.Struct, kw_only=True):
    ts: datetime
    visitor: str
    tenant: str
    text: str
    """Plain text as the visitor typed it: never render it as HTML."""


class PollQuestionResult(msgspec.Struct, kw_only=True):
    question: str
    title: str
    input: str
    responses: int
    """Visitors who answered (each visitor's latest answer counts once)."""
    options: list[PollOptionResult]
    """Choices, or ratings 1–5, with their counts and shares; empty for free text."""
    mean: float | None = None
    """Mean rating, for rating questions."""
    texts: list[PollText] = msgspec.field(default_factory=list)


class PollTenant(msgspec.Struct, kw_only=True):
    tenant: str
    questions: list[PollQuestionResult]


class PollReport(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    guide: str
    tenant: str | None
    from_: date
    to: date
    questions: list[PollQuestionResult]
    tenants: list[PollTenant]


class SurveyAnswerExport(msgspec.Struct, kw_only=True):
    """One stored NPS or poll answer, as a visitor's export gives it."""

    event: str
    """The id of the event it came from (also in the export's events)."""
    kind: str
    """``nps`` or ``poll``."""
    guide: str
    question: str | None
    """The poll question's id; null for NPS."""
    visitor: str
    tenant: str | None
    ts: datetime
    score: int | None
    """The NPS score (0–10) or the poll rating (1–5)."""
    choices: list[str] | None
    comment: str | None
    """The NPS comment or the poll's free text: plain text, never render it as HTML."""
