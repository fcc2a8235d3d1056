"""Storage of the survey tally projection: one row per NPS or poll answer, read by the survey reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base

__all__ = ["SurveyAnswer"]


class SurveyAnswer(AppScoped, Base):
    """An answer as the reports need it; the event it came from stays in ``events``."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("app_id", "event_id", name="uq_survey_answers_app_event_id"),
        Index("ix_survey_answers_app_guide_ts", "app_id", "guide_id", "ts"),
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
