"""The pure parts of the evidence: the canonical text and its hash, locale choice, record hashes and chain checks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import msgspec

from waymark.guides.kinds.policy_text import canonical_text, resolve_locale, text_hash
from waymark.policies.chain import GENESIS, ChainRecord, record_hash, verify_chain


def test_canonical_text_is_compact_sorted_json_with_characters_as_themselves() -> None:
    body = [["p", {}, ["Read ", ["a", {"target": "_blank", "href": "https://x/é"}, ["this"]]]], "\u2028"]
    assert canonical_text("Tér\"ms", body) == (
        '["Tér\\"ms",[["p",{},["Read ",["a",{"href":"https://x/é","target":"_blank"},["this"]]]],"\u2028"]]')
    assert text_hash("T", ["x"]) == hashlib.sha256(b'["T",["x"]]').hexdigest()
    assert text_hash("T", ["x"]) != text_hash("T", [["a", {"href": "https://other"}, ["x"]]])


def test_locale_is_chosen_as_delivery_chooses_text() -> None:
    assert resolve_locale(["en", "fr"], "fr-CA", "en") == "fr"
    assert resolve_locale(["en", "fr_CA"], "fr-ca", "en") == "fr_CA"
    assert resolve_locale(["en", "fr"], "de", "en") == "en"
    assert resolve_locale(["fr", "es"], None, "en") == "fr"


def _chain(n: int) -> list[ChainRecord]:
    out: list[ChainRecord] = []
    prev = GENESIS
    start = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
    for i in range(1, n + 1):
        r = ChainRecord(id=100 + i, seq=i, request_id=f"r{i}", app_id="app", tenant=None if i % 2 else "acme",
                        visitor=f"v{i}", policy="terms", version=1, locale="en", text_hash="ab" * 32,
                        decision="accepted", method="widget", recorded_at=start + timedelta(seconds=i),
                        user_agent="UA", prev_hash=prev)
        r = msgspec.structs.replace(r, row_hash=record_hash(r))
        out.append(r)
        prev = r.row_hash
    return out


def test_an_intact_chain_verifies_and_the_hash_covers_every_field() -> None:
    chain = _chain(5)
    assert verify_chain(chain, (5, chain[-1].row_hash)) == (5, None)
    assert verify_chain([], None) == (0, None)
    first = chain[0]
    # the same moment in another offset hashes the same: it is written in UTC
    moved = msgspec.structs.replace(first, recorded_at=first.recorded_at.astimezone(timezone(timedelta(hours=2))))
    assert record_hash(moved) == first.row_hash
    for field, value in (("decision", "declined"), ("visitor", "v9"), ("tenant", "x"), ("text_hash", "cd" * 32),
                         ("user_agent", None), ("locale", "fr"), ("version", 2), ("method", "api"),
                         ("recorded_at", first.recorded_at + timedelta(microseconds=1)), ("request_id", "r0")):
        assert record_hash(msgspec.structs.replace(first, **{field: value})) != first.row_hash, field


def test_the_first_changed_record_is_named() -> None:
    chain = _chain(5)
    chain[2] = msgspec.structs.replace(chain[2], visitor="mallory")
    chain[4] = msgspec.structs.replace(chain[4], decision="declined")
    _count, broken = verify_chain(chain, (5, chain[-1].row_hash))
    assert broken is not None and (broken.id, broken.seq) == (103, 3)
    assert "changed" in broken.reason


def test_a_rehashed_record_breaks_the_next_link() -> None:
    chain = _chain(4)
    forged = msgspec.structs.replace(chain[1], decision="declined")
    chain[1] = msgspec.structs.replace(forged, row_hash=record_hash(forged))
    _, broken = verify_chain(chain, (4, chain[-1].row_hash))
    assert broken is not None and (broken.seq, broken.reason) == (
        3, "its previous-record hash does not match the record before it")


def test_missing_records_are_found_in_the_middle_and_at_the_end() -> None:
    chain = _chain(4)
    _, broken = verify_chain([chain[0], chain[2], chain[3]], (4, chain[-1].row_hash))
    assert broken is not None and (broken.id, broken.seq) == (103, 3)
    _, tail = verify_chain(chain[:3], (4, chain[-1].row_hash))
    assert tail is not None and (tail.id, tail.seq) == (None, 4) and "removed" in tail.reason
