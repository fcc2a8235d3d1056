"""Wire shapes of events: one tagged union for every source; decoders built once, reused on the hot path."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from waymark.wire import Line, Text, UnsignedInt32

__all__ = [
    "BLOCKED_EVENT",
    "GUIDE_EVENT_TYPES",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_EVENTS",
    "MAX_EVENT_BYTES",
    "AliasEvent",
    "AnyEvent",
    "Batch",
    "ClickEvent",
    "Element",
    "EventBase",
    "GroupEvent",
    "GuideEvent",
    "IdentifyEvent",
    "IngestResult",
    "NpsResponse",
    "PageEvent",
    "PollResponse",
    "Rejected",
    "TimeEvent",
    "TrackEvent",
    "batch_decoder",
    "event_decoder",
]

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_EVENTS = 2500

EventId = Annotated[Line, msgspec.Meta(min_length=1, max_length=64)]
Id = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]
Url = Annotated[Line, msgspec.Meta(max_length=4096)]
Short = Annotated[Text, msgspec.Meta(max_length=1000)]
Key = Annotated[Line, msgspec.Meta(max_length=200)]


class EventBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """What every event carries."""

    id: EventId
    """Made by the client: a resend of the same event is stored once."""
    ts: datetime
    visitor: Id
    tenant: Id | None = None
    url: Url | None = None


class PageEvent(EventBase, frozen=True, tag="page"):
    title: Short | None = None
    referrer: Url | None = None
    browser: Annotated[Line, msgspec.Meta(max_length=40)] | None = None
    """The browser's family (``Chrome``); the widget's page views get it from the request's User-Agent."""
    language: Annotated[Line, msgspec.Meta(max_length=35)] | None = None
    """The visitor's language (``fr-CA``); the widget's page views get it from the request's Accept-Language."""
    name: Short | None = None
    """The page's (or screen's) name, as a Segment ``page`` or ``screen`` call gives it."""
    category: Short | None = None
    """The page's category, as a Segment ``page`` (or ``screen``) call gives it."""


class Element(msgspec.Struct, frozen=True, kw_only=True):
    """A compact description of a clicked element, enough to tag features later."""

    tag: Annotated[Line, msgspec.Meta(min_length=1, max_length=32)]
    id: Short | None = None
    classes: Annotated[list[Short], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)
    attrs: Annotated[dict[Key, Short], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=dict)
    text: Short | None = None
    path: Short | None = None


class ClickEvent(EventBase, frozen=True, tag="click"):
    element: Element


class TimeEvent(EventBase, frozen=True, tag="time"):
    ms: Annotated[int, msgspec.Meta(ge=0, le=86_400_000)]
    """Visible time on ``url`` since the previous time or page event."""


class TrackEvent(EventBase, frozen=True, tag="track"):
    name: Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]
    props: dict[str, Any] = msgspec.field(default_factory=dict)


class IdentifyEvent(EventBase, frozen=True, tag="identify"):
    traits: dict[str, Any] = msgspec.field(default_factory=dict)
    """Visitor metadata, merged into what is known."""


class GroupEvent(EventBase, frozen=True, tag="group"):
    tenant: Id
    traits: dict[str, Any] = msgspec.field(default_factory=dict)
    """Tenant metadata, merged into what is known."""


class AliasEvent(EventBase, frozen=True, tag="alias"):
    previous: Id
    """The id the visitor had before (an anonymous id): its events become this visitor's."""


class GuideEvent(EventBase, frozen=True):
    """A guide event as the widget sends it."""

    guide: Annotated[Line, msgspec.Meta(min_length=1, max_length=64)]
    guide_version: UnsignedInt32 | None = None
    step: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None
    props: dict[str, Any] = msgspec.field(default_factory=dict)


class GuideSeen(GuideEvent, frozen=True, tag="guide_seen"):
    pass


class GuideStepAdvanced(GuideEvent, frozen=True, tag="guide_step_advanced"):
    pass


class GuideDismissed(GuideEvent, frozen=True, tag="guide_dismissed"):
    pass


class GuideCompleted(GuideEvent, frozen=True, tag="guide_completed"):
    pass


class GuideSnoozed(GuideEvent, frozen=True, tag="guide_snoozed"):
    pass


class GuideAnchorMissing(GuideEvent, frozen=True, tag="guide_anchor_missing"):
    pass


# --- survey answers (waymark.surveys): stored with the answer in ``props`` and tallied by a projection ---
Comment = Annotated[Text, msgspec.Meta(max_length=2000)]
"""Plain text from a visitor: bounded, never rendered as HTML anywhere."""
AnswerId = Annotated[Line, msgspec.Meta(min_length=1, max_length=64)]


class NpsResponse(GuideEvent, frozen=True, kw_only=True, tag="nps_response"):
    """An answer to an NPS survey; a dismissal is a ``guide_dismissed``, never a score."""

    score: Annotated[int, msgspec.Meta(ge=0, le=10)]
    comment: Comment | None = None

    def answer(self) -> dict[str, Any]:
        return {"score": self.score} if self.comment is None else {"score": self.score, "comment": self.comment}


class PollResponse(GuideEvent, frozen=True, kw_only=True, tag="poll_response"):
    """An answer to one poll question: ``choices`` (single or multiple choice), ``rating`` (1–5) or ``text``."""

    question: AnswerId
    choices: Annotated[list[AnswerId], msgspec.Meta(min_length=1, max_length=50)] | None = None
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    text: Comment | None = None

    def answer(self) -> dict[str, Any]:
        given = {"question": self.question, "choices": self.choices, "rating": self.rating, "text": self.text}
        return {k: v for k, v in given.items() if v is not None}


AnyEvent = (
    PageEvent | ClickEvent | TimeEvent | TrackEvent | IdentifyEvent | GroupEvent | AliasEvent
    | GuideSeen | GuideStepAdvanced | GuideDismissed | GuideCompleted | GuideSnoozed | GuideAnchorMissing
    | NpsResponse | PollResponse
)
GUIDE_EVENT_TYPES: frozenset[str] = frozenset(
    t.__struct_config__.tag  # type: ignore[misc]  # every event class has a str tag
    for t in (GuideSeen, GuideStepAdvanced, GuideDismissed, GuideCompleted, GuideSnoozed, GuideAnchorMissing)
)
EVENT_TYPES: frozenset[str] = frozenset(
    t.__struct_config__.tag for t in AnyEvent.__args__
)


class Batch(msgspec.Struct):
    """The envelope; events stay raw so that each is judged on its own."""

    events: list[msgspec.Raw]
    sent_at: datetime | None = None
    """When the client sent the batch, on its own clock: used to correct each event's time."""
    identity: Annotated[Line, msgspec.Meta(max_length=4096)] | None = None
    """The visitor signed by the host app, for apps that require verified identities."""


BLOCKED_EVENT = "blocked_event"
"""``Rejected.code`` of a track event whose name the app's lexicon blocks."""


class Rejected(msgspec.Struct):
    index: int
    reason: str
    """Why, in words."""
    id: str | None = None
    code: str | None = None
    """Why, for a program, where a refusal has a type of its own (``blocked_event``); else null."""


class IngestResult(msgspec.Struct):
    accepted: int
    duplicates: int
    rejected: list[Rejected]


batch_decoder = msgspec.json.Decoder(Batch)
event_decoder: msgspec.json.Decoder[AnyEvent] = msgspec.json.Decoder(AnyEvent)
