"""The tenants list's figures from the running sums, on SQLite and PostgreSQL: a dormant tenant, ranges, sorts."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.analytics.summary_helpers import ago, on, refresh, send, tenants_of, today
from tests.support import make_app
from waymark.settings import Settings


async def test_a_dormant_tenant_keeps_its_history_and_trends_down(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, on("page", "olga", "old", 40), on("page", "nina", "new", 1),
               on("page", "nina", "new", 0), on("page", "ned", "new", 0))
    await refresh(settings, app.id)
    report = await tenants_of(settings, app.id, ago(29), today())
    assert [t.tenant for t in report.tenants] == ["new", "old"] and report.total == 2
    new, old = report.tenants
    # new: nina yesterday (DAU 1, MAU 1), nina and ned today (2 of 2): every active day is a full house
    assert (new.active_visitors, new.active_days, new.stickiness, new.trend) == (2, 2, 1.0, "up")
    # old: nobody in the range, but its month covered 19 of its days (with DAU 0), and it was active before
    assert (old.active_visitors, old.active_days, old.band, old.stickiness) == (0, 0, None, 0.0)
    assert (old.average_dau, old.previous_average_dau, old.trend, old.trend_change) == (0.0, 0.03, "down", -1.0)
    by_trend = await tenants_of(settings, app.id, ago(29), today(), sort="trend", order="asc")
    assert [t.tenant for t in by_trend.tenants] == ["old", "new"]
    by_stickiness = await tenants_of(settings, app.id, ago(29), today(), sort="stickiness")
    assert [t.tenant for t in by_stickiness.tenants] == ["new", "old"]
    # a range long ago: old was active then, new did not exist yet (no figure: last either way)
    then = await tenants_of(settings, app.id, ago(45), ago(35), sort="stickiness", order="asc")
    assert [(t.tenant, t.stickiness) for t in then.tenants] == [("old", round(1 / 6, 4)), ("new", None)]
    paged = await tenants_of(settings, app.id, ago(29), today(), sort="tenant", order="desc", page=9, per_page=1)
    assert (paged.page, paged.pages, [t.tenant for t in paged.tenants]) == (2, 2, ["new"])
