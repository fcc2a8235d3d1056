"""``GET /api/v1/guides``: the guides to show this visitor on this page (the widget's hot path).

A bare ASGI handler: it runs on every page view of every host app, and Litestar's
parameter parsing, dependency injection and response classes cost more than the
work itself. The query is still validated by a msgspec Struct, with 400s that name
the field; the operation is added to the OpenAPI document by
:func:`waymark.delivery.openapi.document_delivery`.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, asgi
from litestar.exceptions import ClientException, PermissionDeniedException
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from waymark.apps.auth import public_app_id
from waymark.delivery.selection import VisitorContext, render_delivery, select_guides
from waymark.delivery.snapshot import SnapshotStore
from waymark.delivery.state_reader import NO_COHORTS, NO_HISTORY, AutoHistory
from waymark.guides.frequency import GuideState
from waymark.guides.targeting import COHORTS
from waymark.holdouts.services import HoldoutRecorder
from waymark.identity.verify import IdentityRefused, verify_identity

__all__ = ["DeliveryQuery", "deliver"]


class DeliveryQuery(msgspec.Struct, forbid_unknown_fields=False):
    """The query string of a delivery request."""

    key: str
    """The app's public key."""
    visitor: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    """The visitor's id."""
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    """The page's full URL."""
    tenant: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    """The tenant's id."""
    locale: Annotated[str, msgspec.Meta(max_length=35)] | None = None
    meta: Annotated[str, msgspec.Meta(max_length=8192)] | None = None
    """base64url JSON ``{visitor: {...}, tenant: {...}}``: metadata for segments."""
    identity: Annotated[str, msgspec.Meta(max_length=4096)] | None = None
    """The visitor's identity signed by the host app (HS256 JWT), when the app requires it."""


class _Meta(msgspec.Struct):
    visitor: dict[str, Any] = msgspec.field(default_factory=dict)
    tenant: dict[str, Any] = msgspec.field(default_factory=dict)


_meta_decoder = msgspec.json.Decoder(_Meta)


def _decode_meta(raw: str | None) -> _Meta:
    if not raw:
        return _Meta()
    try:
        return _meta_decoder.decode(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, msgspec.DecodeError) as exc:
        raise ClientException(f"meta must be base64url-encoded JSON {{visitor, tenant}}: {exc}") from exc


def _query(request: Request[Any, Any, Any]) -> DeliveryQuery:
    try:
        return msgspec.convert(dict(request.query_params), DeliveryQuery)
    except msgspec.ValidationError as exc:
        raise ClientException(f"bad query parameter: {exc}") from exc


@asgi("/api/v1/guides", copy_scope=False)
async def deliver(scope: Scope, receive: Receive, send: Send) -> None:
    """Guides for (visitor, page), with the visitor's state; ETag and 304."""
    request: Request[Any, Any, Any] = Request(scope, receive, send)
    if request.method not in ("GET", "HEAD"):
        await ASGIResponse(status_code=405, headers={"allow": "GET"}, body=b'{"status_code":405,"detail":"use GET"}')(
            scope, receive, send
        )
        return
    app_id = await public_app_id(request)
    q = _query(request)
    snapshots: SnapshotStore = request.app.state.snapshots
    snapshot = await snapshots.get(app_id)
    if snapshot.profile.require_identity:
        try:
            verify_identity(q.identity, snapshot.profile.identity_secrets, q.visitor, q.tenant)
        except IdentityRefused as exc:
            raise PermissionDeniedException(str(exc)) from exc
    states: dict[str, GuideState] = {}
    history: AutoHistory = NO_HISTORY
    cohorts = NO_COHORTS
    if snapshot.uses_cohorts:  # the visitor's cohorts come with their state, in the same indexed query
        states, history, cohorts = await request.app.state.state_reader.read_with_cohorts(app_id, q.visitor)
    elif snapshot.guides:
        states, history = await request.app.state.state_reader.read(app_id, q.visitor)
    # Segment and locale answers are cached per (visitor, tenant, locale, metadata, cohorts): on a hit the
    # metadata need not even be decoded.
    key = f"{q.visitor}\x00{q.tenant}\x00{q.locale}\x00{q.meta}"
    if cohorts:
        key += "\x00" + ",".join(sorted(cohorts))
    audience = snapshot.audiences.get(key)
    locale = q.locale
    if audience is None or locale is None:
        extra = _decode_meta(q.meta)
        visitor_meta = {**extra.visitor, "id": q.visitor, COHORTS: cohorts}
        if q.locale:
            visitor_meta.setdefault("locale", q.locale)
        tenant_meta = {**extra.tenant, "id": q.tenant} if q.tenant else dict(extra.tenant)
        locale = q.locale or visitor_meta.get("locale")
        audience = snapshot.audience(key, visitor_meta, tenant_meta, locale)
    ctx = VisitorContext(
        audience=audience, tenant_id=q.tenant, locale=locale, states=states, history=history, visitor_id=q.visitor,
    )
    now = datetime.now(UTC)
    selection = select_guides(snapshot, ctx, q.url, now)
    if selection.held_out:
        holdouts: HoldoutRecorder = request.app.state.holdouts
        await holdouts.record(app_id, selection.held_out, q.visitor, q.tenant, now)
    body = render_delivery(snapshot, ctx, selection)
    etag = b'"' + hashlib.blake2b(body, digest_size=10).hexdigest().encode() + b'"'
    headers: list[tuple[bytes, bytes]] = [(b"etag", etag), (b"cache-control", b"private, no-cache")]
    if request.headers.get("if-none-match", "").encode() == etag:
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
