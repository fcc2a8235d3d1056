"""The evidence ledger on SQLite and PostgreSQL: tampering is found and named, concurrent decisions never fork
the chain, and retention, alias resolution and erasure leave the evidence as it was."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from tests.policies.support import decide, prompt, push_policy
from tests.support import at, make_app
from waymark.cli import main
from waymark.clock import utcnow
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.policies.decisions import record_decision
from waymark.policies.ledger import NewDecision, verify_app_chain
from waymark.privacy.retention import purge_expired
from waymark.settings import Settings


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def _decisions(client: AsyncTestClient, public: str, visitors: list[str]) -> list[dict[str, object]]:
    guide = await prompt(client, public, visitors[0])
    assert guide is not None
    answers = await asyncio.gather(*(decide(client, public, guide, v) for v in visitors))
    assert [a.status_code for a in answers] == [200] * len(visitors), [a.text for a in answers]
    return [a.json()["evidence"] for a in answers]


async def _sql(settings: Settings, statement: str, **params: object) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement), params)
    finally:
        await engine.dispose()


async def test_a_changed_row_breaks_the_chain_there(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push_policy(client, app.secret_key)
    records = await _decisions(client, app.public_key, [f"v{i}" for i in range(4)])
    verified = (await client.get("/api/v1/policies/verify", headers=_auth(app.secret_key))).json()
    assert verified == {"intact": True, "records": 4, "first_broken": None}

    cli = CliRunner()
    env = {"WAYMARK_DATABASE_URL": settings.database_url}
    # the command runs its own event loop: in a thread, beside this test's
    intact = await asyncio.to_thread(cli.invoke, main, ["policies", "verify", "--app", app.secret_key], env=env)
    assert (intact.exit_code, intact.output.strip()) == (0, "evidence chain intact: 4 record(s)")

    target = next(r for r in records if r["seq"] == 3)
    await _sql(settings, "UPDATE policy_evidence SET decision = 'declined' WHERE id = :id", id=target["id"])
    verified = (await client.get("/api/v1/policies/verify", headers=_auth(app.secret_key))).json()
    assert verified["intact"] is False
    assert verified["first_broken"] == {"id": target["id"], "seq": 3,
                                        "reason": "its content does not match its hash (it was changed)"}
    broken = await asyncio.to_thread(cli.invoke, main, ["policies", "verify", "--app", app.secret_key], env=env)
    assert broken.exit_code == 1
    assert f"evidence chain BROKEN at record #3 (id {target['id']})" in broken.output


async def test_removed_rows_are_found(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push_policy(client, app.secret_key)
    records = await _decisions(client, app.public_key, ["a", "b", "c"])
    by_seq = {r["seq"]: r for r in records}
    await _sql(settings, "DELETE FROM policy_evidence WHERE id = :id", id=by_seq[3]["id"])
    last = (await client.get("/api/v1/policies/verify", headers=_auth(app.secret_key))).json()
    assert (last["intact"], last["first_broken"]["seq"], last["first_broken"]["id"]) == (False, 3, None)
    await _sql(settings, "DELETE FROM policy_evidence WHERE id = :id", id=by_seq[1]["id"])
    first = (await client.get("/api/v1/policies/verify", headers=_auth(app.secret_key))).json()
    assert first["first_broken"] == {"id": by_seq[2]["id"], "seq": 2,
                                     "reason": "record 1 is missing (the next one is 2)"}


async def test_concurrent_decisions_never_fork_the_chain(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push_policy(client, app.secret_key)
    records = await _decisions(client, app.public_key, [f"v{i}" for i in range(24)])
    assert sorted(r["seq"] for r in records) == list(range(1, 25))
    assert len({r["prev_hash"] for r in records}) == 24  # no two records share a predecessor
    verified = (await client.get("/api/v1/policies/verify", headers=_auth(app.secret_key))).json()
    assert verified == {"intact": True, "records": 24, "first_broken": None}


async def test_concurrent_writers_with_their_own_connections(settings: Settings) -> None:
    """Two engines stand for two worker processes: each appends through its own connection at once."""
    app = await make_app(settings)
    engines = [create_engine(settings.database_url) for _ in range(2)]
    try:
        makers = [make_sessionmaker(e) for e in engines]
        async with makers[0]() as session:
            await session.execute(text(
                "INSERT INTO policy_versions (app_id, policy_id, version, allow_decline, default_locale, title, body,"
                " hashes, published_at) VALUES (:a, 'terms', 1, false, 'en', '{}', '{}', '{}', :now)"),
                {"a": app.id, "now": utcnow()})
            await session.commit()

        def new(i: int) -> NewDecision:
            return NewDecision(request_id=uuid.uuid4().hex, tenant=None, visitor=f"v{i}", policy="terms", version=1,
                               locale="en", text_hash="ab" * 32, decision="accepted", method="api", user_agent=None)

        acks = await asyncio.gather(*(record_decision(makers[i % 2], app.id, new(i)) for i in range(16)))
        assert sorted(a.evidence.seq for a in acks) == list(range(1, 17))
        async with makers[1]() as session:
            count, broken = await verify_app_chain(session, app.id)
        assert (count, broken) == (16, None)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_retention_alias_resolution_and_erasure_keep_the_evidence(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await push_policy(client, app.secret_key)
    guide = await prompt(client, app.public_key, "anon-1")
    assert guide is not None
    evidence = (await decide(client, app.public_key, guide, "anon-1")).json()["evidence"]
    old = {"id": uuid.uuid4().hex, "type": "track", "ts": at(-3 * 86400), "visitor": "anon-1", "name": "Old"}
    alias = {"id": uuid.uuid4().hex, "type": "alias", "ts": at(), "visitor": "user-1", "previous": "anon-1"}
    sent = await client.post(f"/api/v1/events?key={app.public_key}", json={"events": [old, alias]})
    assert sent.json()["accepted"] == 2
    assert (await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": 1},
                             headers=_auth(app.secret_key))).status_code == 200
    engine = create_engine(settings.database_url)  # the app's own engine lives in the client's event loop
    try:
        purged = await purge_expired(make_sessionmaker(engine), utcnow() + timedelta(minutes=1))
    finally:
        await engine.dispose()
    assert purged[app.id] >= 1

    def unchanged(records: list[dict[str, object]]) -> None:
        assert records == [evidence]

    unchanged((await client.get("/api/v1/policies/terms/evidence", headers=_auth(app.secret_key))).json())
    status = (await client.get("/api/v1/policies/terms/status", params={"visitor": "user-1"},
                               headers=_auth(app.secret_key))).json()
    assert status["accepted"] is True  # found through the alias, the record itself untouched
    exported = (await client.get("/api/v1/visitors/user-1/export", headers=_auth(app.secret_key))).json()
    unchanged(exported["policy_evidence"])

    erased = await client.delete("/api/v1/visitors/user-1", headers=_auth(app.secret_key))
    assert erased.status_code == 200 and erased.json()["evidence_kept"] == 1
    unchanged((await client.get("/api/v1/policies/terms/evidence", headers=_auth(app.secret_key))).json())
    log = (await client.get("/api/v1/erasures", params={"visitor": "user-1"}, headers=_auth(app.secret_key))).json()
    assert [e["evidence_kept"] for e in log] == [1]
    verified = (await client.get("/api/v1/policies/verify", headers=_auth(app.secret_key))).json()
    assert verified["intact"] is True


@pytest.mark.parametrize("body", ["x" * 70_000, "{", "[]"])
async def test_bad_decision_bodies(client: AsyncTestClient, settings: Settings, body: str) -> None:
    app = await make_app(settings)
    sent = await client.post(f"/api/v1/policy-decisions?key={app.public_key}", content=body)
    assert sent.status_code in (400, 413), sent.text
