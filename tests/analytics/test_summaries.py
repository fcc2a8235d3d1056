"""The report summaries on SQLite and PostgreSQL: counted by hand, kept right by late events, erasure, rule
changes and resends, and equal to an exact count of the roll-ups."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.analytics.summary_helpers import FIREFOX, ago, define, erase, on, overview_of, refresh, send, today
from tests.support import make_app
from waymark.analytics.overview_schemas import Overview
from waymark.db.scope import Scope
from waymark.settings import Settings


async def _seed(client: AsyncTestClient, settings: Settings) -> tuple[str, str, str]:
    """ann and bob of acme, cat of globex over four days (see the figures in the tests)."""
    app = await make_app(settings)
    await define(client, app.secret_key)
    await send(client, app.public_key,
               on("page", "ann", "acme", 3), on("time", "ann", "acme", 3, ms=60_000),
               on("page", "ann", "acme", 2), on("page", "ann", "acme", 0),
               on("page", "bob", "acme", 3), on("click", "bob", "acme", 3))
    await send(client, app.public_key, on("page", "cat", "globex", 0),
               **{"User-Agent": FIREFOX, "Accept-Language": "fr-CA,fr;q=0.8,en;q=0.5"})
    return app.id, app.public_key, app.secret_key


def _figures(report: Overview) -> dict[str, object]:
    return {
        "dau": [d.dau for d in report.days], "wau": [d.wau for d in report.days], "mau": [d.mau for d in report.days],
        "events": [d.events for d in report.days], "active": report.active_visitors,
        "stickiness": (report.stickiness_dau_mau, report.stickiness_wau_mau),
    }


async def test_the_app_overview_is_counted_by_hand(client: AsyncTestClient, settings: Settings) -> None:
    app_id, _, _ = await _seed(client, settings)
    done = await refresh(settings, app_id)
    assert done.days == 3 and done.tenants == 2  # days 3, 2 and 0 ago; acme and globex
    report = await overview_of(settings, Scope(app_id), ago(3), today())
    assert [d.day for d in report.days] == [ago(3), ago(2), ago(1), today()]
    assert _figures(report) == {
        "dau": [2, 1, 0, 2], "wau": [2, 2, 2, 3], "mau": [2, 2, 2, 3], "events": [4, 1, 0, 2], "active": 3,
        "stickiness": (round((1 + 0.5 + 0 + 2 / 3) / 4, 4), 1.0),
    }
    # first seen on their first event's day, and all three first events fall in the range
    assert (report.new_visitors, report.returning_visitors) == (3, 0)
    later = await overview_of(settings, Scope(app_id), ago(2), today())
    # from two days ago: ann was first seen before the range (returning), cat within it (new); bob was not active
    assert (later.new_visitors, later.returning_visitors) == (1, 1)
    assert (report.ms, report.ms_per_active_day) == (60_000, 12_000.0)
    assert [(p.id, p.views, p.visitors, p.ms) for p in report.pages] == [("invoices", 5, 3, 60_000)]
    assert [(f.id, f.clicks, f.visitors, f.adoption) for f in report.features] == [("export", 1, 1, 0.3333)]
    assert [(b.key, b.visitors) for b in report.browsers] == [("Firefox", 1)]
    assert [(b.key, b.visitors) for b in report.languages] == [("fr-CA", 1)]
    assert report.days_active[:4] == [2, 0, 1, 0]  # bob and cat one day, ann three
    assert [(b.band, b.tenants) for b in report.bands] == [("1–4", 2), ("5–12", 0), ("13+", 0)]
    assert report.estimated and report.pending_days == 0


async def test_the_summaries_equal_an_exact_count_of_the_roll_ups(client: AsyncTestClient, settings: Settings) -> None:
    app_id, _, _ = await _seed(client, settings)
    await refresh(settings, app_id)
    summarised = await overview_of(settings, Scope(app_id), ago(5), today())
    # a segment of every tenant reads the roll-ups themselves, exactly
    every = await overview_of(settings, Scope(app_id), ago(5), today(), segment="tenant.plan=none")
    assert every.active_visitors == 0  # nobody has that plan: the exact path really filters
    acme = await overview_of(settings, Scope(app_id, "acme"), ago(5), today())
    globex = await overview_of(settings, Scope(app_id, "globex"), ago(5), today())
    assert [d.dau for d in summarised.days] == [a.dau + g.dau for a, g in zip(acme.days, globex.days, strict=True)]
    assert summarised.events == acme.events + globex.events and summarised.ms == acme.ms + globex.ms
    assert summarised.active_visitors == acme.active_visitors + globex.active_visitors
    assert not acme.estimated
    assert _figures(acme)["dau"] == [0, 0, 2, 1, 0, 1] and acme.stickiness_dau_mau == round((1 + 0.5 + 0 + 0.5) / 4, 4)


async def test_a_late_event_a_resend_and_a_second_refresh(client: AsyncTestClient, settings: Settings) -> None:
    app_id, public_key, _ = await _seed(client, settings)
    await refresh(settings, app_id)
    late = on("page", "bob", "acme", 2)
    await send(client, public_key, late)
    assert (await refresh(settings, app_id)).days == 1
    report = await overview_of(settings, Scope(app_id), ago(3), today())
    assert _figures(report)["dau"] == [2, 2, 0, 2]
    again = await send(client, public_key, late)
    assert again["duplicates"] == 1
    done = await refresh(settings, app_id)
    assert (done.days, done.tenants) == (0, 0)  # a resend stores nothing, so marks nothing
    assert await overview_of(settings, Scope(app_id), ago(3), today()) == report


async def test_erasure_takes_a_visitor_out_of_every_figure(client: AsyncTestClient, settings: Settings) -> None:
    app_id, _, secret = await _seed(client, settings)
    await refresh(settings, app_id)
    await erase(client, secret, "bob")
    await refresh(settings, app_id)
    report = await overview_of(settings, Scope(app_id), ago(3), today())
    assert _figures(report)["dau"] == [1, 1, 0, 2] and report.active_visitors == 2
    assert [(f.id, f.clicks, f.visitors) for f in report.features] == [("export", 0, 0)]
    acme = await overview_of(settings, Scope(app_id, "acme"), ago(3), today())
    assert acme.active_visitors == 1


async def test_a_feature_defined_later_counts_in_the_summaries(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, on("click", "ann", "acme", 1), on("click", "bob", "acme", 0))
    await refresh(settings, app.id)
    assert (await overview_of(settings, Scope(app.id), ago(1), today())).features == []
    await define(client, app.secret_key)
    await refresh(settings, app.id)
    report = await overview_of(settings, Scope(app.id), ago(1), today())
    assert [(f.id, f.clicks, f.visitors, f.adoption) for f in report.features] == [("export", 2, 2, 1.0)]


async def test_an_alias_moves_the_anonymous_days_to_the_visitor(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, on("page", "anon-1", "acme", 1), on("page", "ann", "acme", 0))
    await refresh(settings, app.id)
    assert (await overview_of(settings, Scope(app.id), ago(1), today())).active_visitors == 2
    await send(client, app.public_key, on("alias", "ann", "acme", 0, previous="anon-1"))
    await refresh(settings, app.id)
    report = await overview_of(settings, Scope(app.id), ago(1), today())
    assert report.active_visitors == 1 and _figures(report)["dau"] == [1, 1]
