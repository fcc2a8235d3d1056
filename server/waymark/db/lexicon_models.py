"""Storage of the lexicon (the data dictionary): track event names and their property names seen per app,
each event's status and description, and the events dropped because their name is blocked.

In the database layer rather than in :mod:`waymark.lexicon` because the runtime profile
(:mod:`waymark.runtime.profile`, which may import only ``db``) reads the blocked names from it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base

__all__ = ["STATUSES", "BlockedEventDay", "LexiconEvent", "LexiconProperty"]

STATUSES = ("visible", "hidden", "blocked")
"""``visible``: offered everywhere; ``hidden``: kept out of pickers; ``blocked``: dropped at ingestion."""


class LexiconEvent(AppScoped, Base):
    """One track event name of an app: when it was first and last seen, its status and description."""

    __tablename__ = "lexicon_events"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8), default="visible")
    description: Mapped[str] = mapped_column(Text, default="")


class LexiconProperty(AppScoped, Base):
    """One property name seen on one track event name."""

    __tablename__ = "lexicon_properties"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    event_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class BlockedEventDay(AppScoped, Base):
    """How many events of a blocked name ingestion dropped on one UTC day (the event's own day)."""

    __tablename__ = "blocked_event_days"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
