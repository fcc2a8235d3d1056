"""Retention: expired events are purged per app (in chunks), by command and by the server on a schedule."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.privacy.helpers import auth, export_lines, send, track
from tests.support import at, eventually_async, make_app
from waymark.app import create_app
from waymark.apps.services import NewApp
from waymark.cli import main
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import utcnow
from waymark.privacy.retention import purge_expired
from waymark.settings import Settings
from waymark.testing import running_server

DAY = 86400


@pytest.fixture
async def sessionmaker(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def keep_for(client: AsyncTestClient, app: NewApp, days: int | None) -> None:
    response = await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": days},
                                headers=auth(app.secret_key))
    assert response.status_code == 200, response.text


async def events_aged(client: AsyncTestClient, app: NewApp, *days_ago: float) -> None:
    """Events sent without ``sent_at``: their old timestamps are kept as they are."""
    answer = await send(client, app.public_key,
                        *(track("v", "acme", id=f"{app.id}-{i}-{d}", ts=at(-d * DAY)) for i, d in enumerate(days_ago)))
    assert answer["accepted"] == len(days_ago)


async def ages(client: AsyncTestClient, app: NewApp) -> list[int]:
    return sorted(int(e["id"].rsplit("-", 1)[1].split(".")[0]) for e in await export_lines(client, app.secret_key))


async def test_purge_deletes_only_expired_events_of_apps_with_retention(
    client: AsyncTestClient, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    month, forever, week = [await make_app(settings, n) for n in ("month", "forever", "week")]
    await keep_for(client, month, 30)
    await keep_for(client, week, 7)
    await events_aged(client, month, 400, 40, 31, 31, 31, 29, 1)
    await events_aged(client, forever, 4000, 400, 1)
    await events_aged(client, week, 10, 8, 6)
    deleted = await purge_expired(sessionmaker, utcnow(), chunk=2)  # several chunks for "month"
    assert deleted == {month.id: 5, week.id: 2}
    assert await ages(client, month) == [1, 29]
    assert await ages(client, forever) == [1, 400, 4000]
    assert await ages(client, week) == [6]
    # nothing left to do: a second run (another worker, the next hour) deletes nothing
    assert await purge_expired(sessionmaker, utcnow()) == {month.id: 0, week.id: 0}


async def test_purge_is_relative_to_the_time_given(
    client: AsyncTestClient, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    app = await make_app(settings)
    await keep_for(client, app, 30)
    await events_aged(client, app, 20, 5)
    assert await purge_expired(sessionmaker, utcnow() + timedelta(days=12), dry_run=True) == {app.id: 1}
    assert await ages(client, app) == [5, 20]  # a dry run deletes nothing
    assert await purge_expired(sessionmaker, utcnow() + timedelta(days=12)) == {app.id: 1}
    assert await ages(client, app) == [5]


def test_cli_purge_prints_what_it_removed(
    database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", database_url)
    cli = CliRunner()
    nothing = cli.invoke(main, ["retention", "purge"])
    assert nothing.exit_code == 0, nothing.output
    assert nothing.output == "no app has a retention period; nothing to purge\n"

    async def setup() -> NewApp:
        app = await make_app(settings, "Shop")
        async with AsyncTestClient(app=create_app(settings)) as client:
            await keep_for(client, app, 30)
            await events_aged(client, app, 90, 60, 1)
        return app

    app = asyncio.run(setup())
    dry = cli.invoke(main, ["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{app.id} (Shop): would delete 2 event(s) older than 30 day(s)" in dry.output
    done = cli.invoke(main, ["retention", "purge"])
    assert done.exit_code == 0, done.output
    assert f"{app.id} (Shop): deleted 2 event(s) older than 30 day(s)" in done.output
    assert done.output.endswith("deleted 2 event(s) in total\n")
    assert f"{app.id} (Shop): deleted 0 event(s)" in cli.invoke(main, ["retention", "purge"]).output
    listed = json.loads(cli.invoke(main, ["apps", "list", "--json"]).output)
    assert [a["id"] for a in listed] == [app.id]


async def test_the_server_purges_periodically(settings: Settings) -> None:
    fast = Settings(database_url=settings.database_url, snapshot_check_seconds=0.0, retention_interval_seconds=0.05)
    app = await make_app(settings)
    async with AsyncTestClient(app=create_app(fast)) as client:
        assert client.app.state.retention.task is not None
        await events_aged(client, app, 60, 1)
        await keep_for(client, app, 30)
        async def purged() -> bool:  # the next scheduled purge is at most one interval away
            return await ages(client, app) == [1]

        assert await eventually_async(purged)
    assert client.app.state.retention.task is None  # cancelled on shutdown


async def test_an_interval_of_zero_turns_the_schedule_off(settings: Settings) -> None:
    off = Settings(database_url=settings.database_url, retention_interval_seconds=0)
    async with AsyncTestClient(app=create_app(off)) as client:
        assert client.app.state.retention.task is None


async def test_the_api_purges_only_the_keys_app(client: AsyncTestClient, settings: Settings) -> None:
    shop, other = await make_app(settings, "Shop"), await make_app(settings, "Other")
    for app in (shop, other):
        await keep_for(client, app, 30)
        await events_aged(client, app, 90, 1)
    purge = "/api/v1/retention/purge"
    dry = await client.post(purge, json={"dry_run": True}, headers=auth(shop.secret_key))
    assert dry.status_code == 200, dry.text
    assert (dry.json()["deleted"], dry.json()["retention_days"], dry.json()["dry_run"]) == (1, 30, True)
    assert await ages(client, shop) == [1, 90]
    done = (await client.post(purge, json={}, headers=auth(shop.secret_key))).json()
    assert done["deleted"] == 1 and done["cutoff"] is not None
    assert await ages(client, shop) == [1] and await ages(client, other) == [1, 90]
    await keep_for(client, other, None)
    forever = (await client.post(purge, json={}, headers=auth(other.secret_key))).json()
    assert forever == {"retention_days": None, "cutoff": None, "deleted": 0, "dry_run": False}
    wrong = await client.post(purge, json={"dry_run": "yes"}, headers=auth(shop.secret_key))
    assert wrong.status_code == 400 and "dry_run" in wrong.text


def test_cli_purges_on_a_server(database_url: str, settings: Settings) -> None:
    async def setup() -> NewApp:
        app = await make_app(settings, "Shop")
        async with AsyncTestClient(app=create_app(settings)) as client:
            await keep_for(client, app, 30)
            await events_aged(client, app, 90, 60, 1)
        return app

    app = asyncio.run(setup())
    cli = CliRunner()
    with running_server(database_url) as base:
        remote = ["retention", "purge", "--server", base, "--key", app.secret_key]
        dry = cli.invoke(main, [*remote, "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert dry.output.startswith("would delete 2 event(s) older than 30 day(s)")
        done = cli.invoke(main, remote)
        assert done.exit_code == 0 and done.output.startswith("deleted 2 event(s)"), done.output
        refused = cli.invoke(main, ["retention", "purge", "--server", base, "--key", "sk_not_a_key"])
        assert refused.exit_code == 1 and "refused (403)" in refused.output
        keyless = cli.invoke(main, ["retention", "purge", "--server", base], env={"WAYMARK_SECRET_KEY": ""})
        assert keyless.exit_code == 1 and "--server needs --key" in keyless.output
