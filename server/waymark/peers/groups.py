"""Peer groups with no I/O: which group of a fixed partition (industry, plan, size band) a tenant's metadata puts it in.

Each peer group kind partitions the app's tenants by one metadata attribute, and there are no
other filters: a group's figures cannot be narrowed to a few tenants by combining views.

- ``all``: every tenant of the app.
- ``industry``: the tenant's ``industry`` metadata, compared trimmed and case-folded.
- ``plan``: the tenant's ``plan`` metadata, compared the same way.
- ``size``: a band of the tenant's size, from the first of its ``size``, ``employees`` or
  ``seats`` metadata that holds a number (``120``, ``"120"``, ``"1,200+"`` or a range such as
  ``"51-200"``: the number it starts with counts). The bands are those of :data:`SIZE_BANDS`: 1–10, 11–50, 51–200,
  201–1,000, 1,001–5,000 and 5,001+.

A tenant without the attribute (or with an empty or unreadable one) is in no group of that kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, get_args

__all__ = [
    "PEER_GROUPS",
    "SIZE_BANDS",
    "SIZE_FIELDS",
    "PeerGroup",
    "group_of",
    "groups_of",
    "size_band",
]

PeerGroup = Literal["all", "industry", "plan", "size"]
PEER_GROUPS: tuple[PeerGroup, ...] = get_args(PeerGroup)

SIZE_FIELDS = ("size", "employees", "seats")
"""Tenant metadata read for the size band, in this order."""
SIZE_BANDS: tuple[tuple[int, str], ...] = (
    (10, "1-10"),
    (50, "11-50"),
    (200, "51-200"),
    (1000, "201-1000"),
    (5000, "1001-5000"),
)
"""(largest size in the band, band label); anything larger is ``5001+``."""
_LARGEST = "5001+"
_MAX_LABEL = 100
_NUMBER = re.compile(r"^\s*(\d[\d,_]*)")


def _number(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return int(raw) if raw >= 1 and raw == raw and raw != float("inf") else None
    if isinstance(raw, str):
        match = _NUMBER.match(raw)
        if match:
            value = int(match.group(1).replace(",", "").replace("_", ""))
            return value if value >= 1 else None
    return None


def size_band(meta: Mapping[str, Any]) -> str | None:
    """The size band of a tenant's metadata, or None when none of :data:`SIZE_FIELDS` holds a number."""
    for name in SIZE_FIELDS:
        size = _number(meta.get(name))
        if size is not None:
            return next((label for top, label in SIZE_BANDS if size <= top), _LARGEST)
    return None


def _label(raw: Any) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return None
    text = " ".join(str(raw).split()).casefold()
    return text[:_MAX_LABEL] or None


def group_of(meta: Mapping[str, Any], kind: PeerGroup) -> str | None:
    """The group of this kind the tenant belongs to (its key), or None when it belongs to none."""
    if kind == "all":
        return "all"
    if kind == "size":
        return size_band(meta)
    return _label(meta.get(kind))


def groups_of(meta: Mapping[str, Any]) -> dict[str, str | None]:
    """The tenant's group of every kind, as stored with a snapshot."""
    return {kind: group_of(meta, kind) for kind in PEER_GROUPS}
