"""What the OpenAPI document needs and Litestar cannot see in handler signatures: keys, error answers, raw bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import (
    Components,
    Discriminator,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from waymark.wire import LINE_PATTERN

__all__ = [
    "EVENT_BATCH",
    "NO_CONTROL_CHARACTERS",
    "PUBLIC_KEY",
    "RETRY_AFTER",
    "SECRET_KEY",
    "WRITE_KEY",
    "add_shared_schemas",
    "documented",
    "json_schema",
    "openapi_config",
    "refuse_control_characters",
    "retry_later",
    "segment_body",
]

PUBLIC_KEY: list[SecurityRequirement] = [{"publicKey": []}, {"publicKeyHeader": []}]
"""Widget routes: the app's public key in ``?key=`` (or the ``X-Waymark-Key`` header)."""
SECRET_KEY: list[SecurityRequirement] = [{"secretKey": []}]
"""Management, report, export, privacy and identity routes: ``Authorization: Bearer sk_…``."""
WRITE_KEY: list[SecurityRequirement] = [{"writeKey": []}]
"""Segment routes: the write key as the HTTP Basic user (or ``writeKey`` in the body)."""

_SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    "publicKey": SecurityScheme(type="apiKey", name="key", security_scheme_in="query",
                                description="The app's public key (pk_…)."),
    "publicKeyHeader": SecurityScheme(type="apiKey", name="X-Waymark-Key", security_scheme_in="header",
                                      description="The app's public key (pk_…), for clients that can set headers."),
    "secretKey": SecurityScheme(type="http", scheme="bearer", bearer_format="sk_…",
                                description="A secret key of the app (sk_…); never put it in a web page."),
    "writeKey": SecurityScheme(type="http", scheme="basic",
                               description="Segment's write key as the Basic user, with an empty password: the "
                                           "app's public key, or a secret key for server-side events (needed when "
                                           "the app requires verified identities). `writeKey` in the body also "
                                           "works."),
}

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed: `detail` says how (`extra` lists the faulty parameters). A "
                        "request line or headers over about 64 KB are refused by the HTTP server itself, in plain "
                        "text."),
    401: ("Unauthorized", "No key was sent."),
    403: ("Forbidden", "The key is unknown, revoked or of the wrong kind, or the app requires verified identities."),
    404: ("NotFound", "Nothing with this id in the app."),
    413: ("PayloadTooLarge", "The body is over the size limit."),
    429: ("RateLimited", "This key has spent its requests for the current minute."),
    503: ("Unavailable", "The database cannot be reached for now."),
}
RETRY_AFTER = OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER, minimum=0), required=True,
                             description="Seconds to wait before trying again.")
_ERROR = Reference(ref="#/components/schemas/Error")


def _error_response(status: int) -> OpenAPIResponse:
    text = _ERRORS[status][1]
    body = Schema(all_of=[_ERROR], properties={"status_code": Schema(const=status)})
    content = {"application/json": OpenAPIMediaType(schema=body)}
    if status == 400:  # the HTTP server's own refusal, before the app sees the request
        content["text/plain"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
    return OpenAPIResponse(
        description=text, content=content,
        headers={"Retry-After": RETRY_AFTER} if status in (429, 503) else None,
    )


def retry_later(schema_name: str, description: str) -> OpenAPIResponse:
    """A route's own 503 answer: its body is the schema ``schema_name``, with Retry-After."""
    return OpenAPIResponse(
        description=description, headers={"Retry-After": RETRY_AFTER},
        content={"application/json": OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{schema_name}"))},
    )


def openapi_config() -> OpenAPIConfig:
    """The app's OpenAPI configuration: key schemes and the shared error answers."""
    return OpenAPIConfig(
        title="Waymark", version="0.1.0", use_handler_docstrings=True,
        components=Components(
            security_schemes=dict(_SECURITY_SCHEMES),
            responses={name: _error_response(status) for status, (name, _) in _ERRORS.items()},
        ),
    )


def documented(
    *errors: int,
    body: RequestBody | None = None,
    created: bool = False,
    media: Mapping[str, Schema | Reference] | None = None,
    headers: Mapping[str, OpenAPIHeader] | None = None,
    answers: Mapping[int, OpenAPIResponse] | None = None,
) -> type[Operation]:
    """An ``operation_class`` for a route handler: what its signature cannot tell Litestar.

    ``errors``: every error status the route can answer (their bodies and headers are shared
    components; this replaces Litestar's generic 400). ``body``: the request body of a route
    that reads the raw body itself. ``created``: the route also answers 201 with the body and
    headers of its 200 (create or replace). ``media``: the success answer's media types, for a
    route that picks one per request. ``headers``: the success answer's headers. ``answers``: other
    answers of this route alone.
    """
    unknown = set(errors) - _ERRORS.keys()
    if unknown:
        raise ValueError(f"no shared error answer for {sorted(unknown)}")

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            responses = dict(self.responses or {})
            success = next((r for code, r in responses.items() if code.startswith("2")), None)
            if media is not None and isinstance(success, OpenAPIResponse):
                success.content = {name: OpenAPIMediaType(schema=schema) for name, schema in media.items()}
            if headers is not None and isinstance(success, OpenAPIResponse):
                success.headers = {**(success.headers or {}), **headers}
            if created and isinstance(success, OpenAPIResponse):
                responses["201"] = OpenAPIResponse(description="Created", content=success.content,
                                                   headers=success.headers)
            for status in errors:
                responses[str(status)] = Reference(ref=f"#/components/responses/{_ERRORS[status][0]}")
            responses.update((str(status), answer) for status, answer in (answers or {}).items())
            self.responses = dict(sorted(responses.items()))
            if body is not None:
                self.request_body = body
            for parameter in self.parameters or ():
                if isinstance(parameter, Parameter) and parameter.param_in in ("path", "query"):
                    refuse_control_characters(parameter.schema)

    return DocumentedOperation


NO_CONTROL_CHARACTERS = LINE_PATTERN
"""Every path and query value: the app refuses control characters there before routing (400)."""


def refuse_control_characters(schema: Schema | Reference | None) -> None:
    """Give a parameter's string schema (or the string branch of its ``oneOf``) the pattern it must match."""
    if not isinstance(schema, Schema):
        return
    if schema.type == OpenAPIType.STRING and schema.pattern is None and schema.enum is None and schema.format is None:
        schema.pattern = NO_CONTROL_CHARACTERS
    for branch in (*(schema.one_of or ()), *(schema.any_of or ())):
        refuse_control_characters(branch)


# --- schemas Litestar does not generate (it replaces the configured ones): added on first look -------------


def _keyword(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


_FIELD_OF = {field.metadata.get("alias", _keyword(field.name)): field.name for field in fields(Schema)}
"""JSON Schema keyword → ``Schema`` field (``anyOf`` → ``any_of``)."""
_DATE_TIMES = frozenset({"ts", "sent_at", "sentAt", "timestamp", "originalTimestamp", "receivedAt"})
"""Properties that are RFC 3339 date-times (msgspec documents ``datetime`` as a bare string)."""


def json_schema(raw: Mapping[str, Any], name: str | None = None) -> Schema | Reference:
    """A JSON Schema (as msgspec writes it) as Litestar spec objects; ``name`` is the property it describes."""
    if "$ref" in raw:
        return Reference(ref=raw["$ref"])
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "properties":
            value = {prop: json_schema(sub, prop) for prop, sub in value.items()}
        elif key in ("anyOf", "oneOf", "allOf"):
            value = [json_schema(sub, name) for sub in value]
        elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
            value = json_schema(value)
        elif key == "discriminator":
            value = Discriminator(property_name=value["propertyName"], mapping=value.get("mapping"))
        elif key == "type":
            value = OpenAPIType(value) if isinstance(value, str) else [OpenAPIType(v) for v in value]
        elif key == "format":
            value = OpenAPIFormat(value)
        kwargs[_FIELD_OF[key]] = value
    schema = Schema(**kwargs)
    if name in _DATE_TIMES and schema.type == OpenAPIType.STRING and schema.format is None:
        schema.format = OpenAPIFormat.DATE_TIME
    return schema


def _error_schema() -> Schema:
    return Schema(
        type=OpenAPIType.OBJECT, required=["status_code", "detail"],
        description="The body of every error answer.",
        properties={
            "status_code": Schema(type=OpenAPIType.INTEGER, description="The HTTP status, repeated."),
            "detail": Schema(type=OpenAPIType.STRING, description="What went wrong, for people."),
            "extra": Schema(type=[OpenAPIType.ARRAY, OpenAPIType.OBJECT, OpenAPIType.NULL],
                            description="The faulty parameters, when Litestar validated them."),
        },
    )


_TEXT = Schema(type=OpenAPIType.STRING)
_OBJECT = Schema(type=OpenAPIType.OBJECT)
_DATE_TIME = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME)
_WRITE_KEY = Schema(type=OpenAPIType.STRING, description="Read when there is no Basic authorization.")


def _segment_schemas() -> dict[str, Schema | Reference]:
    """Segment's tracking spec, the part Waymark reads (other fields are accepted and ignored)."""
    message = Schema(
        type=OpenAPIType.OBJECT,
        description="One Segment message. `userId` (else `anonymousId`) is the visitor, `groupId` (or "
                    "`context.groupId`) the tenant, `messageId` the event id. A message that cannot become an "
                    "event is listed in `rejected`; the others are stored.",
        properties={
            "type": Schema(type=OpenAPIType.STRING, enum=["track", "identify", "page", "screen", "group", "alias"],
                           description="Needed in a batch; a single call takes it from its path."),
            "userId": _TEXT, "anonymousId": _TEXT, "messageId": _TEXT,
            "timestamp": _DATE_TIME, "originalTimestamp": _DATE_TIME, "receivedAt": _DATE_TIME,
            "event": Schema(type=OpenAPIType.STRING, description="The name of a track call."),
            "name": Schema(type=OpenAPIType.STRING, description="The title of a page or screen call."),
            "properties": _OBJECT, "traits": _OBJECT, "context": _OBJECT,
            "groupId": Schema(type=OpenAPIType.STRING, description="The tenant; required by a group call."),
            "previousId": Schema(type=OpenAPIType.STRING, description="Required by an alias call."),
        },
        any_of=[Schema(required=["userId"]), Schema(required=["anonymousId"])],
    )
    batch = Schema(
        type=OpenAPIType.OBJECT, required=["batch"],
        properties={
            "batch": Schema(type=OpenAPIType.ARRAY, items=Reference(ref="#/components/schemas/SegmentMessage")),
            "sentAt": _DATE_TIME,
            "context": _OBJECT,
            "writeKey": _WRITE_KEY,
        },
    )
    single = Schema(
        all_of=[Reference(ref="#/components/schemas/SegmentMessage")],
        properties={"sentAt": _DATE_TIME, "writeKey": _WRITE_KEY},
    )
    return {"SegmentMessage": message, "SegmentBatch": batch, "SegmentCall": single}


@cache
def _shared_schemas() -> dict[str, Schema | Reference]:
    return {"Error": _error_schema(), **_segment_schemas()}


def add_shared_schemas(document: OpenAPI, more: Mapping[str, Schema | Reference] | None = None) -> None:
    """Add the schemas the routes refer to (and ``more``) to a built document; idempotent."""
    components = document.components
    if isinstance(components, list):  # the configuration allows a list; the built document has one object
        raise TypeError("expected one Components object in the built document")
    schemas: dict[str, Any] = components.schemas
    for name, schema in {**_shared_schemas(), **(more or {})}.items():
        schemas.setdefault(name, schema)


def _json_body(schema_name: str, description: str) -> RequestBody:
    ref = Reference(ref=f"#/components/schemas/{schema_name}")
    return RequestBody(required=True, description=description,
                       content={"application/json": OpenAPIMediaType(schema=ref)})


EVENT_BATCH = RequestBody(
    required=True,
    description="A batch of events; each is judged on its own. The widget sends it as `text/plain` "
                "(no CORS preflight), which is read the same way.",
    content={
        "application/json": OpenAPIMediaType(schema=Reference(ref="#/components/schemas/EventBatch")),
        "text/plain": OpenAPIMediaType(schema=Schema(
            type=OpenAPIType.STRING, content_media_type="application/json",
            content_schema=Reference(ref="#/components/schemas/EventBatch"),
        )),
    },
)


def segment_body(batch: bool) -> RequestBody:
    """The body of a Segment call (gzip with ``Content-Encoding: gzip`` is accepted too)."""
    if batch:
        return _json_body("SegmentBatch", "Messages of any type, with `type` on each.")
    return _json_body("SegmentCall", "One message; its type is the path's.")
