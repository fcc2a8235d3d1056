"""Wire shapes of event batches; decoders are built once and reused on the hot path."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

__all__ = [
    "GUIDE_EVENT_TYPES",
    "MAX_BATCH_BYTES",
    "MAX_EVENT_BYTES",
    "Batch",
    "GuideEvent",
    "IngestResult",
    "Rejected",
    "batch_decoder",
    "event_decoder",
]

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024

GuideEventType = Literal[
    "guide_seen",
    "guide_step_advanced",
    "guide_dismissed",
    "guide_completed",
    "guide_snoozed",
    "guide_anchor_missing",
]
GUIDE_EVENT_TYPES: frozenset[str] = frozenset(GuideEventType.__args__)  # type: ignore[attr-defined]

EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class GuideEvent(msgspec.Struct, frozen=True):
    """One guide event as the widget sends it."""

    id: EventId
    type: GuideEventType
    ts: datetime
    visitor: Id
    guide: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    tenant: Id | None = None
    url: Annotated[str, msgspec.Meta(max_length=4096)] | None = None
    guide_version: Annotated[int, msgspec.Meta(ge=0)] | None = None
    step: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None
    props: dict[str, Any] = msgspec.field(default_factory=dict)


class Batch(msgspec.Struct):
    """The envelope; events stay raw so that each is judged on its own."""

    events: list[msgspec.Raw]
    sent_at: datetime | None = None


class Rejected(msgspec.Struct):
    index: int
    reason: str
    id: str | None = None


class IngestResult(msgspec.Struct):
    accepted: int
    duplicates: int
    rejected: list[Rejected]


batch_decoder = msgspec.json.Decoder(Batch)
event_decoder = msgspec.json.Decoder(GuideEvent)
