"""``POST /api/v1/events``: the widget's event batches (public key, text/plain, keepalive)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, HTTPException
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_413_REQUEST_ENTITY_TOO_LARGE
from litestar.types import BeforeRequestHookHandler

from waymark.apps.auth import public_app_id
from waymark.db.models import utcnow
from waymark.events.client import browser_family, primary_language
from waymark.events.ingest import ingest
from waymark.events.schemas import MAX_BATCH_BYTES, IngestResult, batch_decoder
from waymark.openapi_docs import EVENT_BATCH, PUBLIC_KEY, documented
from waymark.ratelimit import enforce_rate_limit
from waymark.wire import explain

__all__ = ["EventController", "PayloadTooLarge", "read_limited_body"]


class PayloadTooLarge(HTTPException):
    status_code = HTTP_413_REQUEST_ENTITY_TOO_LARGE


async def read_limited_body(request: Request[Any, Any, Any], limit: int = MAX_BATCH_BYTES) -> bytes:
    """The body, refused with 413 past ``limit`` (checked on the header first, then on what arrived)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"batch is {length} bytes; the limit is {limit}")
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"batch is {len(body)} bytes; the limit is {limit}")
    return body


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["events"]
    dependencies = {"app_id": Provide(public_app_id)}
    security = PUBLIC_KEY
    before_request: BeforeRequestHookHandler | None = enforce_rate_limit(
        lambda request: request.query_params.get("key")
    )

    @post("/", operation_id="PostEvents", status_code=HTTP_202_ACCEPTED,
          operation_class=documented(400, 401, 403, 413, 429, 503, body=EVENT_BATCH))
    async def post_events(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str]
    ) -> Response[IngestResult]:
        """Store a batch of events; valid ones are kept even when others are rejected.

        Answered only after commit; resending a batch stores nothing twice.
        """
        received_at = utcnow()
        body = await read_limited_body(request)
        try:
            batch = batch_decoder.decode(body)
        except msgspec.DecodeError as exc:
            raise ClientException(f"body is not a valid event batch: {explain(str(exc))}") from exc
        except RecursionError as exc:  # msgspec stops at Python's recursion limit, well before harm
            raise ClientException("body nests too deeply to be an event batch") from exc
        client = (browser_family(request.headers.get("user-agent")),
                  primary_language(request.headers.get("accept-language")))
        result = await ingest(request.app.state, app_id, list(enumerate(batch.events)), batch.sent_at, received_at,
                              identity=batch.identity, do_not_track=request.headers.get("dnt") == "1", client=client)
        return Response(result, status_code=HTTP_202_ACCEPTED)
