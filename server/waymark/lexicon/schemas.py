"""Wire shapes of the lexicon: its entries as the page and the API give them, and an edit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from waymark.wire import Text

__all__ = ["MAX_DESCRIPTION", "LexiconEdit", "LexiconEntry", "LexiconProperty", "LexiconView", "Status"]

MAX_DESCRIPTION = 2000
Status = Literal["visible", "hidden", "blocked"]


class LexiconProperty(msgspec.Struct, kw_only=True):
    """A property name seen on the event."""

    name: str
    first_seen: datetime
    last_seen: datetime


class LexiconEntry(msgspec.Struct, kw_only=True):
    """One track event name: what people wrote about it, and what the app sent of it."""

    name: str
    status: Status
    description: str
    first_seen: datetime
    last_seen: datetime
    volume_30d: int
    """Events of this name on the 30 UTC days ending on ``as_of`` (from the daily roll-up)."""
    blocked_30d: int
    """Events of this name dropped because it is blocked, on the same 30 days."""
    blocked_total: int
    """Events of this name dropped since it was first blocked."""
    properties: list[LexiconProperty]


class LexiconView(msgspec.Struct, kw_only=True):
    as_of: date
    """The last day of the 30-day window (today, UTC)."""
    events: list[LexiconEntry]


class LexiconEdit(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What may change: the description and the status (either or both)."""

    description: Annotated[Text, msgspec.Meta(max_length=MAX_DESCRIPTION)] | None = None
    status: Status | None = None
