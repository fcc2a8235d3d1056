"""Survey answers under the privacy rules, on SQLite and PostgreSQL: alias resolution moves them to the visitor,
a visitor's export holds them, erasure deletes them, retention purges them with the events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support import at, make_app, push
from tests.surveys.helpers import NPS, POLLS, answer, auth, send
from waymark.apps.services import NewApp
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import utcnow
from waymark.privacy.retention import purge_expired
from waymark.settings import Settings

DAY = 86400


@pytest.fixture
async def sessionmaker(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _app(client: AsyncTestClient, settings: Settings) -> NewApp:
    app = await make_app(settings)
    pushed = await push(client, app.secret_key, {"nps.yaml": NPS.format(sample=1.0), "polls.yaml": POLLS})
    assert pushed.status_code == 200, pushed.text
    return app


async def _get(client: AsyncTestClient, secret: str, path: str, **params: str) -> Any:
    got = await client.get(path, params=params, headers=auth(secret))
    assert got.status_code == 200, got.text
    return got.json()


async def test_aliases_move_answers_the_export_holds_them_and_erasure_deletes_them(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await _app(client, settings)
    public, secret = app.public_key, app.secret_key
    await send(client, public,
               answer("nps_response", "anon-1", score=4, comment="Slow <i>exports</i>", seconds=-30),
               answer("nps_response", "bob", score=10, seconds=-20))
    await send(client, public,
               {"id": "alias-1", "type": "alias", "ts": at(-10), "visitor": "ana", "tenant": "acme",
                "previous": "anon-1"},
               answer("poll_response", "ana", guide="tour-poll", question="plan", choices=["pro"], step=1))

    comments = (await _get(client, secret, "/api/v1/reports/nps/comments", guide="nps"))["comments"]
    assert [(c["visitor"], c["score"], c["comment"]) for c in comments] == [("ana", 4, "Slow <i>exports</i>")]
    exported = await _get(client, secret, "/api/v1/visitors/ana/export")
    assert [(a["kind"], a["guide"], a["question"], a["visitor"], a["tenant"], a["score"], a["choices"], a["comment"])
            for a in exported["survey_answers"]] == [
        ("nps", "nps", None, "ana", "acme", 4, None, "Slow <i>exports</i>"),
        ("poll", "tour-poll", "plan", "ana", "acme", None, ["pro"], None),
    ]
    assert {a["event"] for a in exported["survey_answers"]} <= {e["id"] for e in exported["events"]}
    assert (await _get(client, secret, "/api/v1/visitors/bob/export"))["survey_answers"][0]["score"] == 10

    erased = await client.delete("/api/v1/visitors/ana", headers=auth(secret))
    assert erased.status_code == 200, erased.text
    assert (await _get(client, secret, "/api/v1/visitors/ana/export"))["survey_answers"] == []
    report = await _get(client, secret, "/api/v1/reports/nps", guide="nps")
    assert (report["responses"], report["promoters"], report["detractors"]) == (1, 1, 0)  # bob's answer stays
    assert (await _get(client, secret, "/api/v1/reports/nps/comments", guide="nps"))["comments"] == []
    polls = await _get(client, secret, "/api/v1/reports/polls", guide="tour-poll")
    assert all(q["responses"] == 0 for q in polls["questions"])


async def test_retention_purges_answers_with_their_events(
    client: AsyncTestClient, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    app = await _app(client, settings)
    public, secret = app.public_key, app.secret_key
    kept = await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": 30}, headers=auth(secret))
    assert kept.status_code == 200, kept.text
    await send(client, public,
               answer("nps_response", "ana", score=2, comment="old", seconds=-40 * DAY),
               answer("nps_response", "ben", score=9, comment="new", seconds=-DAY),
               answer("poll_response", "cy", guide="tour-poll", question="ease", rating=5, seconds=-35 * DAY))
    before = await _get(client, secret, "/api/v1/reports/nps", guide="nps")
    assert before["responses"] == 2

    assert await purge_expired(sessionmaker, utcnow(), chunk=1) == {app.id: 2}
    after = await _get(client, secret, "/api/v1/reports/nps", guide="nps")
    assert (after["responses"], after["promoters"], after["detractors"]) == (1, 1, 0)
    comments = (await _get(client, secret, "/api/v1/reports/nps/comments", guide="nps"))["comments"]
    assert [c["comment"] for c in comments] == ["new"]
    polls = await _get(client, secret, "/api/v1/reports/polls", guide="tour-poll")
    assert all(q["responses"] == 0 for q in polls["questions"])
    assert (await _get(client, secret, "/api/v1/visitors/ana/export"))["survey_answers"] == []

