"""The delivery route in the OpenAPI document (it is a bare ASGI handler, which Litestar does not describe)."""

from __future__ import annotations

from litestar import Litestar, Request
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Parameter, PathItem, Schema
from litestar.openapi.spec.enums import OpenAPIType

__all__ = ["document_delivery", "document_on_first_look"]

_PARAMETERS = (
    ("key", True, "The app's public key (pk_…)."),
    ("visitor", True, "The visitor's id (1–200 characters)."),
    ("url", True, "The page's full URL."),
    ("tenant", False, "The tenant's id."),
    ("locale", False, "The visitor's locale, e.g. fr-CA."),
    ("meta", False, "base64url JSON {visitor: {...}, tenant: {...}}: metadata for segments."),
    ("identity", False, "The visitor signed by the host app (HS256 JWT), when the app requires it."),
)


def _operation() -> Operation:
    return Operation(
        operation_id="DeliverGuides",
        tags=["delivery"],
        summary="Guides to show this visitor on this page",
        description="What the widget asks on every page view; see docs/CONTRACT.md for the answer's shape. "
        "Answers carry an ETag; If-None-Match gives 304.",
        parameters=[
            Parameter(name=name, param_in="query", required=required, description=text,
                      schema=Schema(type=OpenAPIType.STRING))
            for name, required, text in _PARAMETERS
        ],
        responses={
            "200": OpenAPIResponse(description="The guides", content={"application/json": OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.OBJECT))}),
            "304": OpenAPIResponse(description="Not modified"),
            "400": OpenAPIResponse(description="A bad parameter, named in `detail`"),
            "401": OpenAPIResponse(description="No key"),
            "403": OpenAPIResponse(description="Unknown key"),
        },
    )


def document_delivery(app: Litestar) -> None:
    """Add ``GET /api/v1/guides`` to the app's OpenAPI schema (idempotent)."""
    schema = app.openapi_schema
    schema.paths = schema.paths or {}
    schema.paths.setdefault("/api/v1/guides", PathItem(get=_operation()))


async def document_on_first_look(request: Request) -> None:
    """An app ``before_request`` hook: build the schema only when someone reads it.

    Building it costs about a third of a second, which every worker and every test app
    would otherwise pay at start-up.
    """
    if request.url.path.startswith("/schema") and not request.app.state.get("delivery_documented"):
        document_delivery(request.app)
        request.app.state.delivery_documented = True
