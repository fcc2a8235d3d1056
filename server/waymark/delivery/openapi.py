"""The delivery route in the OpenAPI document (it is a bare ASGI handler, which Litestar does not describe)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    PathItem,
    Reference,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

from waymark.events.openapi import event_schemas
from waymark.openapi_docs import NO_CONTROL_CHARACTERS, PUBLIC_KEY, add_shared_schemas

__all__ = ["document_delivery", "document_on_first_look"]

_BASE64URL = "[A-Za-z0-9_-]"
# Name, required, largest length, pattern, description: the limits of ``DeliveryQuery``.
_PARAMETERS = (
    ("visitor", True, 200, NO_CONTROL_CHARACTERS, "The visitor's id."),
    ("url", True, 4096, NO_CONTROL_CHARACTERS, "The page's full URL."),
    ("tenant", False, 200, NO_CONTROL_CHARACTERS, "The tenant's id."),
    ("locale", False, 35, NO_CONTROL_CHARACTERS, "The visitor's locale, e.g. fr-CA."),
    ("meta", False, 8192, f"^{_BASE64URL}*={{0,2}}$",
     "base64url JSON {visitor: {...}, tenant: {...}}: metadata for segments."),
    ("identity", False, 4096, f"^{_BASE64URL}+\\.{_BASE64URL}+\\.{_BASE64URL}*$",
     "The visitor signed by the host app (HS256 JWT), when the app requires it."),
)

_STRING = Schema(type=OpenAPIType.STRING)
_INTEGER = Schema(type=OpenAPIType.INTEGER)
_BOOLEAN = Schema(type=OpenAPIType.BOOLEAN)

_SCHEMAS: dict[str, Schema] = {
    "DeliveryAnswer": Schema(
        type=OpenAPIType.OBJECT, required=["app_version", "throttle_ms", "privacy", "guides"],
        properties={
            "app_version": _INTEGER,
            "throttle_ms": Schema(type=OpenAPIType.INTEGER, minimum=0,
                                  description="At most one automatic guide per visitor in this interval."),
            "privacy": Schema(type=OpenAPIType.OBJECT, required=["opted_out", "honor_dnt"],
                              properties={"opted_out": _BOOLEAN, "honor_dnt": _BOOLEAN}),
            "guides": Schema(type=OpenAPIType.ARRAY, items=Reference(ref="#/components/schemas/DeliveredGuide")),
            "strings": Schema(type=OpenAPIType.OBJECT, additional_properties=_STRING,
                              description="The widget's own words in the visitor's language (absent: English)."),
        },
    ),
    "DeliveredGuide": Schema(
        type=OpenAPIType.OBJECT, required=["id", "version", "kind", "priority", "steps", "auto", "state"],
        description="A compiled, localised guide (see docs/CONTRACT.md); empty and default fields are left out.",
        properties={
            "id": _STRING,
            "version": _INTEGER,
            "kind": Schema(type=OpenAPIType.STRING, enum=["walkthrough", "tooltip", "announcement"]),
            "priority": _INTEGER,
            "steps": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT, required=["type"])),
            "auto": Schema(type=OpenAPIType.BOOLEAN, description="Start it now, by itself."),
            "state": Schema(
                type=OpenAPIType.OBJECT, required=["status", "step"],
                properties={
                    "status": Schema(type=OpenAPIType.STRING,
                                     enum=["new", "in_progress", "seen", "completed", "dismissed", "snoozed"]),
                    "step": Schema(type=OpenAPIType.INTEGER, minimum=0),
                },
            ),
        },
    ),
}

_ETAG = OpenAPIHeader(schema=_STRING, required=True, description="The answer's entity tag, for If-None-Match.")


def _error(name: str) -> Reference:
    return Reference(ref=f"#/components/responses/{name}")


def _operation() -> Operation:
    return Operation(
        operation_id="DeliverGuides",
        tags=["delivery"],
        summary="Guides to show this visitor on this page",
        description="What the widget asks on every page view; see docs/CONTRACT.md for the answer's shape. "
        "Answers carry an ETag; If-None-Match gives 304.",
        parameters=[
            *(
                Parameter(name=name, param_in="query", required=required, description=text,
                          schema=Schema(type=OpenAPIType.STRING, min_length=1 if required else None,
                                        max_length=longest, pattern=pattern))
                for name, required, longest, pattern, text in _PARAMETERS
            ),
            Parameter(name="If-None-Match", param_in="header", required=False, schema=_STRING,
                      description="The ETag of the answer the widget has."),
        ],
        security=PUBLIC_KEY,
        responses={
            "200": OpenAPIResponse(
                description="The guides",
                headers={"ETag": _ETAG},
                content={"application/json": OpenAPIMediaType(
                    schema=Reference(ref="#/components/schemas/DeliveryAnswer"))},
            ),
            "304": OpenAPIResponse(description="Not modified: If-None-Match is the current ETag",
                                   headers={"ETag": _ETAG}),
            "400": _error("BadRequest"),
            "401": _error("Unauthorized"),
            "403": _error("Forbidden"),
            "503": _error("Unavailable"),
        },
    )


def document_delivery(app: Litestar) -> None:
    """Add ``GET /api/v1/guides`` and the schemas shared by every route to the app's OpenAPI document
    (idempotent)."""
    schema = app.openapi_schema
    schema.paths = schema.paths or {}
    schema.paths.setdefault("/api/v1/guides", PathItem(get=_operation()))
    add_shared_schemas(schema, {**_SCHEMAS, **event_schemas()})


async def document_on_first_look(request: Request[Any, Any, Any]) -> None:
    """An app ``before_request`` hook: build the schema only when someone reads it.

    Building it costs about a third of a second, which every worker and every test app
    would otherwise pay at start-up.
    """
    if request.url.path.startswith("/schema") and not request.app.state.get("delivery_documented"):
        document_delivery(request.app)
        request.app.state.delivery_documented = True
