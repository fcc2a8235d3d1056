"""Segment's HTTP tracking API: ``/v1/batch``, ``/v1/track`` … with the write key (public key) as Basic user."""

from __future__ import annotations

import base64
import binascii
import zlib
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.exceptions import ClientException, NotAuthorizedException, PermissionDeniedException
from litestar.status_codes import HTTP_200_OK
from litestar.types import BeforeRequestHookHandler

from waymark.db.models import utcnow
from waymark.events.controllers import PayloadTooLarge, read_limited_body
from waymark.events.ingest import ingest_events
from waymark.events.pipeline import judge
from waymark.events.schemas import MAX_BATCH_BYTES, Rejected
from waymark.openapi_docs import WRITE_KEY, documented, segment_body
from waymark.ratelimit import enforce_rate_limit
from waymark.segment.mapping import SegmentProblem, to_events

__all__ = ["SegmentController", "SegmentResult"]

_encode = msgspec.json.Encoder()
_BATCH_CALL = documented(400, 401, 403, 413, 429, 503, body=segment_body(batch=True))
_SINGLE_CALL = documented(400, 401, 403, 413, 429, 503, body=segment_body(batch=False))


class SegmentResult(msgspec.Struct):
    success: bool
    accepted: int
    duplicates: int
    rejected: list[Rejected]


def _gunzip(body: bytes) -> bytes:
    """Decompress at most the batch limit: a small gzip bomb must not fill the memory."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, MAX_BATCH_BYTES + 1)
    except zlib.error as exc:
        raise ClientException(f"body is not valid gzip: {exc}") from exc
    if len(out) > MAX_BATCH_BYTES or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"batch is over {MAX_BATCH_BYTES} bytes once decompressed")
    return out


def _write_key(request: Request[Any, Any, Any], body: dict[str, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            user = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise NotAuthorizedException("malformed Basic authorization header") from exc
        if user:
            return user
    key = body.get("writeKey")
    if isinstance(key, str) and key:
        return key
    raise NotAuthorizedException("missing write key: send it as the HTTP Basic user (or writeKey in the body)")


def _basic_user(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(value.strip(), validate=True).decode().partition(":")[0] or None
    except (binascii.Error, UnicodeDecodeError):
        return None


class SegmentController(Controller):
    path = "/v1"
    tags = ["segment"]
    security = WRITE_KEY
    before_request: BeforeRequestHookHandler | None = enforce_rate_limit(_basic_user)

    async def _handle(self, request: Request[Any, Any, Any], kind: str | None) -> SegmentResult:
        received_at = utcnow()
        body = await read_limited_body(request)
        if "gzip" in request.headers.get("content-encoding", ""):
            body = _gunzip(body)
        try:
            payload = msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            raise ClientException(f"body is not JSON: {exc}") from exc
        except RecursionError as exc:  # msgspec stops at Python's recursion limit, well before harm
            raise ClientException("body nests too deeply") from exc
        if not isinstance(payload, dict):
            raise ClientException("body must be a JSON object")
        write_key = _write_key(request, payload)
        resolver = request.app.state.key_resolver
        from_server = write_key.startswith("sk_")
        app_id = await (resolver.secret(write_key) if from_server else resolver.public(write_key))
        if app_id is None:
            raise PermissionDeniedException("unknown write key")
        profile = await request.app.state.profiles.profile(app_id)
        if not from_server and profile.require_identity:
            raise PermissionDeniedException(
                "this app requires verified identities: send server-side events with a secret key (sk_…)"
            )
        messages = payload.get("batch") if kind is None else [payload]
        if not isinstance(messages, list):
            raise ClientException("a batch call needs a 'batch' list of messages")
        sent_at: datetime | None = None
        if isinstance(payload.get("sentAt"), str):
            try:
                sent_at = msgspec.convert(payload["sentAt"], datetime)
            except msgspec.ValidationError:
                sent_at = None
        default_ts = received_at.isoformat()
        judged: list[tuple[int, Any]] = []
        for index, message in enumerate(messages):
            try:
                events = to_events(message, kind)
            except SegmentProblem as exc:
                mid = message.get("messageId") if isinstance(message, dict) else None
                judged.append((index, Rejected(index=index, id=mid if isinstance(mid, str) else None,
                                               reason=str(exc))))
                continue
            for ev in events:
                ev.setdefault("ts", default_ts)
                judged.append((index, judge(index, _encode.encode(ev))))
        result = await ingest_events(request.app.state, profile, judged, sent_at, received_at)
        return SegmentResult(success=True, accepted=result.accepted, duplicates=result.duplicates,
                             rejected=result.rejected)

    @post("/batch", operation_id="SegmentBatch", status_code=HTTP_200_OK, operation_class=_BATCH_CALL)
    async def batch(self, request: Request[Any, Any, Any]) -> SegmentResult:
        """Segment's batch call: ``{"batch": [messages], "sentAt", "writeKey"}``."""
        return await self._handle(request, None)

    @post("/track", operation_id="SegmentTrack", status_code=HTTP_200_OK, operation_class=_SINGLE_CALL)
    async def track(self, request: Request[Any, Any, Any]) -> SegmentResult:
        return await self._handle(request, "track")

    @post("/identify", operation_id="SegmentIdentify", status_code=HTTP_200_OK, operation_class=_SINGLE_CALL)
    async def identify(self, request: Request[Any, Any, Any]) -> SegmentResult:
        return await self._handle(request, "identify")

    @post("/page", operation_id="SegmentPage", status_code=HTTP_200_OK, operation_class=_SINGLE_CALL)
    async def page(self, request: Request[Any, Any, Any]) -> SegmentResult:
        return await self._handle(request, "page")

    @post("/screen", operation_id="SegmentScreen", status_code=HTTP_200_OK, operation_class=_SINGLE_CALL)
    async def screen(self, request: Request[Any, Any, Any]) -> SegmentResult:
        return await self._handle(request, "screen")

    @post("/group", operation_id="SegmentGroup", status_code=HTTP_200_OK, operation_class=_SINGLE_CALL)
    async def group(self, request: Request[Any, Any, Any]) -> SegmentResult:
        return await self._handle(request, "group")

    @post("/alias", operation_id="SegmentAlias", status_code=HTTP_200_OK, operation_class=_SINGLE_CALL)
    async def alias(self, request: Request[Any, Any, Any]) -> SegmentResult:
        return await self._handle(request, "alias")
