"""``GET /api/v1/guides``: the guides to show this visitor on this page (the widget's hot path)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException
from litestar.params import QueryParameter
from litestar.response.base import ASGIResponse

from waymark.apps.auth import public_app_id
from waymark.delivery.selection import VisitorContext, render_delivery
from waymark.delivery.snapshot import SnapshotStore
from waymark.guides.frequency import GuideState

__all__ = ["DeliveryController"]


class _Meta(msgspec.Struct):
    visitor: dict[str, Any] = msgspec.field(default_factory=dict)
    tenant: dict[str, Any] = msgspec.field(default_factory=dict)


_meta_decoder = msgspec.json.Decoder(_Meta)


def _decode_meta(raw: str | None) -> _Meta:
    if not raw:
        return _Meta()
    if len(raw) > 8192:
        raise ClientException("meta is longer than 8192 characters")
    try:
        return _meta_decoder.decode(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, msgspec.DecodeError) as exc:
        raise ClientException(f"meta must be base64url-encoded JSON {{visitor, tenant}}: {exc}") from exc


class DeliveryController(Controller):
    path = "/api/v1/guides"
    tags = ["delivery"]
    dependencies = {"app_id": Provide(public_app_id)}

    @get("/", operation_id="DeliverGuides", cache=False)
    async def deliver(
        self,
        request: Request,
        app_id: NamedDependency[str],
        visitor: Annotated[str, QueryParameter(min_length=1, max_length=200, description="The visitor's id.")],
        url: Annotated[str, QueryParameter(min_length=1, max_length=4096, description="The page's full URL.")],
        tenant: Annotated[str | None, QueryParameter(max_length=200, description="The tenant's id.")] = None,
        locale: Annotated[str | None, QueryParameter(max_length=35)] = None,
        meta: Annotated[
            str | None, QueryParameter(description="base64url JSON {visitor: {...}, tenant: {...}} for segments.")
        ] = None,
    ) -> ASGIResponse:
        """Guides for (visitor, page), with the visitor's state; ETag and 304."""
        snapshots: SnapshotStore = request.app.state.snapshots
        snapshot = await snapshots.get(app_id)
        extra = _decode_meta(meta)
        visitor_meta = {**extra.visitor, "id": visitor}
        if locale:
            visitor_meta.setdefault("locale", locale)
        tenant_meta = {**extra.tenant, "id": tenant} if tenant else dict(extra.tenant)
        states: dict[str, GuideState] = {}
        last_auto: datetime | None = None
        if snapshot.guides:
            states, last_auto = await request.app.state.state_reader.read(app_id, visitor)
        ctx = VisitorContext(visitor=visitor_meta, tenant=tenant_meta, locale=locale or visitor_meta.get("locale"),
                             states=states, last_auto_at=last_auto)
        body = render_delivery(snapshot, ctx, url, datetime.now(UTC))
        etag = '"' + hashlib.blake2b(body, digest_size=10).hexdigest() + '"'
        headers = {"etag": etag, "cache-control": "private, no-cache"}
        # A bare ASGI response: the framework's Response costs more than the rest of this handler.
        if request.headers.get("if-none-match") == etag:
            return ASGIResponse(status_code=304, headers=headers)
        return ASGIResponse(body=body, media_type="application/json", headers=headers)
