"""Storage of the survey tally projection: one row per NPS or poll answer, and the whole app's answers counted per
day (what the app-wide NPS and poll pages read)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base

__all__ = ["NEVER", "SurveyAnswer", "SurveyDayTally"]

NEVER = date(9999, 12, 31)
"""A tally's ``until`` while its answers are their visitors' latest."""


class SurveyAnswer(AppScoped, Base):
    """An answer as the reports need it; the event it came from stays in ``events``."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("app_id", "event_id", name="uq_survey_answers_app_event_id"),
        Index("ix_survey_answers_app_guide_ts", "app_id", "guide_id", "ts"),
        # A visitor's answers to one question in time order: which one a new answer replaces; aliases; erasure.
        Index("ix_survey_answers_app_visitor", "app_id", "visitor_id", "guide_id", "question", "ts"),
        # Each visitor's latest answers of a range, per tenant, from the index alone (the NPS page's tenant table).
        Index("ix_survey_answers_latest", "app_id", "guide_id", "kind", "ts", "replaced_at", "tenant_id", "visitor_id",
              "score"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    """``nps`` or ``poll``."""
    guide_id: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(String(64), default="")
    """The poll question's id; ``""`` for NPS."""
    visitor_id: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(200), default="")
    """``""`` for answers without a tenant (until the visitor gets one)."""
    ts: Mapped[datetime] = mapped_column()
    score: Mapped[int | None] = mapped_column(Integer, default=None)
    """The NPS score (0–10) or the poll rating (1–5)."""
    choices: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    """The NPS comment or the poll's free text: plain text, never rendered as HTML."""
    replaced_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the visitor next answered the same question of the guide; None while this is their latest answer."""


class SurveyDayTally(AppScoped, Base):
    """How many of the whole app's answers of one UTC day count for an item, by the day each was replaced.

    An answer counts in a range's figures (each visitor's latest answer in the range) when its
    day is in the range and it was not replaced before the range ended: the rows of the
    range's days whose ``until`` is past its last day. A range reads a few rows per day,
    whatever the number of answers. ``item`` is ``score:N`` (the NPS score or poll rating),
    ``answer`` (a poll answer), ``choice:ID`` (a poll option chosen), ``text`` (a poll's free
    text given), ``commented`` (an NPS answer with a comment, replaced or not: ``until`` is
    :data:`NEVER`), or ``visitors`` (who answered that day, as a Theta sketch in ``sketch``).
    """

    __tablename__ = "survey_day_tallies"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    guide_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    question: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    until: Mapped[date] = mapped_column(Date, primary_key=True)
    """The day the answers were replaced by a later one of the same visitor; :data:`NEVER` while not."""
    item: Mapped[str] = mapped_column(String(80), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    sketch: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
