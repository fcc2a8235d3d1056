"""The evidence hash chain, pure: each record's hash covers its fields and the hash of the app's record before it.

``row_hash = SHA-256(JSON array of the fields below, in this order)``, where ``recorded_at``
is written as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC) and absent values as ``null``. The first
record of an app has ``prev_hash`` = 64 zeros. Changing, inserting or deleting a record breaks
the chain at that record (or, for the last records, at the chain head kept beside them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime

import msgspec

__all__ = ["GENESIS", "Break", "ChainRecord", "record_hash", "verify_chain"]

GENESIS = "0" * 64


class ChainRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The fields of one evidence record that its hash covers, plus its stored hashes."""

    id: int
    seq: int
    request_id: str
    app_id: str
    tenant: str | None
    visitor: str
    policy: str
    version: int
    locale: str
    text_hash: str
    decision: str
    method: str
    recorded_at: datetime
    user_agent: str | None
    prev_hash: str
    row_hash: str = ""


class Break(msgspec.Struct, frozen=True):
    """Where the chain is first broken, and how."""

    id: int | None
    """The database id of the record (``None`` when the break is past the last record)."""
    seq: int
    reason: str


def _moment(value: datetime) -> str:
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(r: ChainRecord) -> str:
    """The hash a record must carry, from its fields and ``prev_hash`` (its own ``row_hash`` ignored)."""
    fields = [r.seq, r.request_id, r.app_id, r.tenant, r.visitor, r.policy, r.version, r.locale, r.text_hash,
              r.decision, r.method, _moment(r.recorded_at), r.user_agent, r.prev_hash]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()


def verify_chain(records: Iterable[ChainRecord], head: tuple[int, str] | None) -> tuple[int, Break | None]:
    """Check records in ``seq`` order against each other and the chain head ``(seq, last_hash)``.

    Returns how many records were read and the first break (``None``: intact).
    """
    prev, expected, count = GENESIS, 1, 0
    for r in records:
        count += 1
        if r.seq != expected:
            return count, Break(r.id, r.seq, f"record {expected} is missing (the next one is {r.seq})")
        if r.prev_hash != prev:
            return count, Break(r.id, r.seq, "its previous-record hash does not match the record before it")
        if record_hash(r) != r.row_hash:
            return count, Break(r.id, r.seq, "its content does not match its hash (it was changed)")
        prev, expected = r.row_hash, expected + 1
    head_seq, head_hash = head or (0, GENESIS)
    if head_seq != count or head_hash != prev:
        return count, Break(None, count + 1, f"the chain head says {head_seq} record(s) ending in {head_hash[:12]}…, "
                                              f"but {count} were found ending in {prev[:12]}… (records were removed)")
    return count, None
