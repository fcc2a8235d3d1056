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
from typing import NamedTuple

import msgspec

__all__ = ["GENESIS", "Break", "ChainRecord", "Verified", "record_hash", "verify_chain", "verify_from"]

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


class Verified(NamedTuple):
    """What a check established: records read, the last record found good (its ``seq`` and hash), the first break."""

    read: int
    through: int
    last_hash: str
    broken: Break | None


def verify_from(records: Iterable[ChainRecord], start: tuple[int, str], head: tuple[int, str] | None) -> Verified:
    """Check the records after ``start`` = ``(seq, row_hash)`` of a record already verified (``(0, GENESIS)``: the
    whole chain), in ``seq`` order, against each other, ``start`` and the chain head ``(seq, last_hash)``."""
    through, prev = start
    read = 0
    for r in records:
        read += 1
        expected = through + 1
        if r.seq != expected:
            return Verified(read, through, prev, Break(r.id, r.seq, f"record {expected} is missing "
                                                                     f"(the next one is {r.seq})"))
        if r.prev_hash != prev:
            return Verified(read, through, prev, Break(
                r.id, r.seq, "its previous-record hash does not match the record before it"))
        if record_hash(r) != r.row_hash:
            return Verified(read, through, prev, Break(
                r.id, r.seq, "its content does not match its hash (it was changed)"))
        through, prev = r.seq, r.row_hash
    head_seq, head_hash = head or (0, GENESIS)
    if head_seq != through or head_hash != prev:
        return Verified(read, through, prev, Break(
            None, through + 1, f"the chain head says {head_seq} record(s) ending in {head_hash[:12]}…, "
                               f"but {through} were found ending in {prev[:12]}… (records were removed)"))
    return Verified(read, through, prev, None)


def verify_chain(records: Iterable[ChainRecord], head: tuple[int, str] | None) -> tuple[int, Break | None]:
    """Check records in ``seq`` order against each other and the chain head ``(seq, last_hash)``.

    Returns how many records were read and the first break (``None``: intact).
    """
    checked = verify_from(records, (0, GENESIS), head)
    return checked.read, checked.broken
