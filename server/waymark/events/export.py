"""``GET /api/v1/events/export``: every stored event of the app as NDJSON, streamed (secret key)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from litestar.response import Stream
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.apps.auth import secret_app_id
from waymark.clock import as_utc
from waymark.db.models import Event
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.wire import moment_problem

__all__ = ["ExportController", "ExportedEvent"]

_CHUNK = 1000


class ExportedEvent(msgspec.Struct, omit_defaults=True):
    """One line of the export."""

    id: str
    type: str
    visitor: str
    ts: datetime
    received_at: datetime
    tenant: str | None = None
    name: str | None = None
    url: str | None = None
    guide: str | None = None
    guide_version: int | None = None
    step: int | None = None
    props: dict[str, object] = msgspec.field(default_factory=dict)

    @classmethod
    def of(cls, e: Event) -> ExportedEvent:
        """A stored event as people get it back (the raw export, the visitor export)."""
        return cls(
            id=e.event_id, type=e.type, visitor=e.visitor_id, ts=as_utc(e.ts), received_at=as_utc(e.received_at),
            tenant=e.tenant_id, name=e.name, url=e.url, guide=e.guide_id, guide_version=e.guide_version,
            step=e.step, props=e.props or {},
        )


async def _page(
    sessionmaker: async_sessionmaker[AsyncSession], query: Select[Event], after: int
) -> Sequence[Event]:
    async with sessionmaker() as session:
        return (await session.scalars(query.where(Event.id > after).order_by(Event.id).limit(_CHUNK))).all()


async def _lines(
    sessionmaker: async_sessionmaker[AsyncSession], query: Select[Event], first: Sequence[Event]
) -> AsyncIterator[bytes]:
    """Keyset pages of a thousand rows: no long-held transaction, constant memory."""
    encoder = msgspec.json.Encoder()
    rows = first
    while rows:
        chunk = bytearray()
        for e in rows:
            chunk += encoder.encode(ExportedEvent.of(e))
            chunk += b"\n"
        yield bytes(chunk)
        rows = await _page(sessionmaker, query, rows[-1].id)


class ExportController(Controller):
    path = "/api/v1/events/export"
    tags = ["events"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="ExportEvents", cache=False, media_type="application/x-ndjson",
         response_description="One ExportedEvent JSON object a line",
         operation_class=documented(400, 401, 403, 503))
    async def export(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        since: Annotated[datetime | None, QueryParameter(description="Events at or after this time.")] = None,
        until: Annotated[datetime | None, QueryParameter(description="Events before this time.")] = None,
        tenant: Annotated[str | None, QueryParameter(description="Only this tenant's events.")] = None,
        visitor: Annotated[str | None, QueryParameter(description="Only this visitor's events.")] = None,
        type: Annotated[str | None, QueryParameter(description="Only events of this type.")] = None,
    ) -> Stream:
        """Every stored event of the app, one JSON object a line, oldest stored first."""
        for name, moment in (("since", since), ("until", until)):
            problem = moment_problem(moment) if moment else None
            if problem:
                raise ValidationException(detail=f"{name}: {problem}", extra=[{"key": name, "message": problem}])
        query = select(Event).where(Event.app_id == app_id)
        if since is not None:
            query = query.where(Event.ts >= since)
        if until is not None:
            query = query.where(Event.ts < until)
        if tenant is not None:
            query = query.where(Event.tenant_id == tenant)
        if visitor is not None:
            query = query.where(Event.visitor_id == visitor)
        if type is not None:
            query = query.where(Event.type == type)
        # The first page is read before the status is sent: a query that fails is an error answer,
        # never a 200 whose body stops short.
        first = await _page(request.app.state.sessionmaker, query, 0)
        return Stream(_lines(request.app.state.sessionmaker, query, first), media_type="application/x-ndjson")
