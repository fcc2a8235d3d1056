"""The widget's event batch in the OpenAPI document, from the very types the decoders use."""

from __future__ import annotations

import msgspec
from litestar.openapi.spec import Reference, Schema

from waymark.events.schemas import AnyEvent, Batch
from waymark.openapi_docs import json_schema

__all__ = ["event_schemas"]


def event_schemas() -> dict[str, Schema | Reference]:
    """The widget's batch and every event type, from the very types the decoders use."""
    (_, union), found = msgspec.json.schema_components([Batch, AnyEvent], ref_template="#/components/schemas/{name}")
    batch = found.pop("Batch")
    # Events are decoded one by one (a bad one is rejected alone, in the 202 answer), so the envelope
    # holds raw JSON; its documented items are the union of what is accepted.
    batch["properties"]["events"]["items"] = union
    batch["title"] = "EventBatch"
    out: dict[str, Schema | Reference] = {"EventBatch": json_schema(batch)}
    out.update((name, json_schema(raw)) for name, raw in found.items())
    return out
