"""Segment's tracking spec → Waymark events (pure): so existing server-side SDKs need no new code.

``userId`` (else ``anonymousId``) is the visitor, ``groupId`` (or ``context.groupId``)
the tenant, ``messageId`` the event id; an identify that carries both ids also links
the anonymous id to the user (identity resolution). A ``page`` or ``screen`` call becomes a
page view that keeps the call's ``name`` and ``category`` (stored in the event's properties).
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

__all__ = ["SegmentProblem", "to_events"]

_KINDS = {"track", "identify", "page", "screen", "group", "alias"}


class SegmentProblem(ValueError):
    """A message that cannot become an event; the text says why."""


def _text(value: Any) -> str | None:
    return str(value) if value is not None and value != "" else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _message_id(message: dict[str, Any]) -> str:
    given = _text(message.get("messageId"))
    if given:
        return given[:64]
    # No id from the client: one derived from the content, so that a retry of the same
    # message is still recognised as a duplicate.
    return "seg-" + hashlib.sha256(msgspec.json.encode(message)).hexdigest()[:40]


def to_events(message: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    """One Segment message as Waymark event objects (not yet validated: the pipeline judges them)."""
    if not isinstance(message, dict):
        raise SegmentProblem("a message is a JSON object")
    kind = kind or _text(message.get("type"))
    if kind not in _KINDS:
        raise SegmentProblem(f"unknown message type {kind!r} (use one of: {', '.join(sorted(_KINDS))})")
    user, anonymous = _text(message.get("userId")), _text(message.get("anonymousId"))
    visitor = user or anonymous
    if visitor is None:
        raise SegmentProblem("userId or anonymousId is required")
    context = _object(message.get("context"))
    page = _object(context.get("page"))
    props = _object(message.get("properties"))
    traits = _object(message.get("traits"))
    event: dict[str, Any] = {"id": _message_id(message), "visitor": visitor}
    ts = message.get("timestamp") or message.get("originalTimestamp") or message.get("receivedAt")
    if ts is not None and ts != "":  # no time: the key stays out; the receive time applies (to the alias too)
        event["ts"] = ts
    tenant = _text(message.get("groupId")) or _text(context.get("groupId"))
    if tenant:
        event["tenant"] = tenant
    url = _text(props.get("url")) or _text(page.get("url"))
    if url:
        event["url"] = url
    events = [event]
    if kind == "track":
        event.update(type="track", name=_text(message.get("event")) or "", props=props)
    elif kind in ("page", "screen"):
        name = _text(message.get("name")) or _text(props.get("name"))
        event.update(type="page", title=name or _text(props.get("title")) or _text(page.get("title")))
        referrer = _text(props.get("referrer")) or _text(page.get("referrer"))
        if referrer:
            event["referrer"] = referrer
        # the call's name and category are kept as given (the title above may come from elsewhere)
        category = _text(message.get("category")) or _text(props.get("category"))
        if name:
            event["name"] = name
        if category:
            event["category"] = category
    elif kind == "identify":
        event.update(type="identify", traits=traits or (context.get("traits") or {}))
        if user and anonymous and user != anonymous:
            events.append({**{k: v for k, v in event.items() if k not in ("type", "traits")},
                           "id": event["id"][:58] + ":alias", "type": "alias", "previous": anonymous})
    elif kind == "group":
        if not tenant:
            raise SegmentProblem("groupId is required for a group call")
        event.update(type="group", traits=traits)
    else:  # alias
        previous = _text(message.get("previousId"))
        if previous is None:
            raise SegmentProblem("previousId is required for an alias call")
        event.update(type="alias", previous=previous)
    return events
