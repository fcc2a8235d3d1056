"""``POST /api/v1/events``: the widget's event batches (public key, text/plain, keepalive)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, HTTPException
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_413_REQUEST_ENTITY_TOO_LARGE

from waymark.apps.auth import public_app_id
from waymark.delivery.snapshot import SnapshotStore
from waymark.events.schemas import (
    GUIDE_EVENT_TYPES,
    MAX_BATCH_BYTES,
    MAX_EVENT_BYTES,
    GuideEvent,
    IngestResult,
    Rejected,
    batch_decoder,
    event_decoder,
)
from waymark.events.services import write_events

__all__ = ["EventController"]

_peek_decoder = msgspec.json.Decoder(dict[str, object])


class PayloadTooLarge(HTTPException):
    status_code = HTTP_413_REQUEST_ENTITY_TOO_LARGE


def _judge(index: int, raw: msgspec.Raw) -> GuideEvent | Rejected:
    """Decode one event, or say exactly why it is refused."""
    if len(raw) > MAX_EVENT_BYTES:
        return Rejected(index=index, reason=f"event is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES}")
    try:
        return event_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        event_id: str | None = None
        reason = str(exc)
        try:
            peek = _peek_decoder.decode(raw)
            event_id = peek.get("id") if isinstance(peek.get("id"), str) else None  # type: ignore[assignment]
            kind = peek.get("type")
            if isinstance(kind, str) and kind not in GUIDE_EVENT_TYPES:
                reason = f"unknown event type {kind!r}"
        except msgspec.DecodeError:
            reason = "event is not a JSON object"
        return Rejected(index=index, id=event_id, reason=reason)


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["events"]
    dependencies = {"app_id": Provide(public_app_id)}

    @post("/", operation_id="PostEvents", status_code=HTTP_202_ACCEPTED)
    async def post_events(self, request: Request, app_id: NamedDependency[str]) -> Response[IngestResult]:
        """Store a batch of events; valid ones are kept even when others are rejected.

        Answered only after commit; resending a batch stores nothing twice.
        """
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BATCH_BYTES:
            raise PayloadTooLarge(f"batch is {length} bytes; the limit is {MAX_BATCH_BYTES}")
        body = await request.body()
        if len(body) > MAX_BATCH_BYTES:
            raise PayloadTooLarge(f"batch is {len(body)} bytes; the limit is {MAX_BATCH_BYTES}")
        try:
            batch = batch_decoder.decode(body)
        except msgspec.DecodeError as exc:
            raise ClientException(f"body is not a valid event batch: {exc}") from exc
        judged = [_judge(i, raw) for i, raw in enumerate(batch.events)]
        good = [j for j in judged if isinstance(j, GuideEvent)]
        rejected = [j for j in judged if isinstance(j, Rejected)]
        snapshots: SnapshotStore = request.app.state.snapshots
        snapshot = await snapshots.get(app_id)
        async with request.app.state.sessionmaker() as session:
            stored, duplicates = await write_events(
                session, app_id, good, throttled=snapshot.counts_for_throttle,
                snooze_days=snapshot.snooze_days,
            )
            await session.commit()
        return Response(
            IngestResult(accepted=stored, duplicates=duplicates, rejected=rejected),
            status_code=HTTP_202_ACCEPTED,
        )
