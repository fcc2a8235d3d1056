"""The flat event the bulk loader takes: one tuple per event, with what both it and the real write path need."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

__all__ = ["BulkEvent"]


class BulkEvent(NamedTuple):
    """One page, click, time, track or guide-seen event, flat (no struct to build per event)."""

    event_id: str
    type: str
    ts: datetime
    """Naive UTC."""
    visitor: str
    tenant: str
    url: str
    name: str | None = None
    guide: str | None = None
    element: dict[str, Any] | None = None
    ms: int = 0
    title: str | None = None
