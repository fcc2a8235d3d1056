"""The survey day tallies: what the whole app's NPS and poll pages read, kept in step with the answers.

After each change to the answers (new ones, one arriving late between two others, an alias
merging two visitors' answers, a late tenant, an erasure, retention's purge), the pages'
figures from the tallies must equal those counted from the answers themselves (each visitor's
latest answer in the range), over ranges that end between a visitor's answers too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from litestar.testing import AsyncTestClient

from tests.support import at, erase, make_app, purge, push
from tests.surveys.helpers import NPS, POLLS, answer, auth, seen, send
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings
from waymark.surveys.arithmetic import nps_figures
from waymark.surveys.overview import list_surveys, nps_overview, poll_overview
from waymark.surveys.reports import Interval, ReportScope, answers, nps_report, poll_report
from waymark.surveys.tallies import TalliedAnswer, deltas, replacements

DAY = 86400


def test_an_answer_counts_until_the_day_it_was_replaced() -> None:
    def made(i: int, day: int, score: int) -> TalliedAnswer:
        return TalliedAnswer(i, "nps", "nps", "", "ana", datetime(2026, 10, day, 12, tzinfo=UTC), score, None,
                             "why" if i == 2 else None, None)

    chain = [made(3, 9, 10), made(1, 2, 3), made(2, 5, 6)]
    nexts = replacements(chain)
    assert nexts == {1: datetime(2026, 10, 5, 12, tzinfo=UTC), 2: datetime(2026, 10, 9, 12, tzinfo=UTC), 3: None}
    assert deltas(chain[2], 1, nexts[2]) == {
        ("nps", "", date(2026, 10, 5), date(2026, 10, 9), "score:6"): 1,
        ("nps", "", date(2026, 10, 5), date(9999, 12, 31), "commented"): 1,
    }


def _today() -> date:
    return datetime.now(UTC).date()


_RANGES = [(-6, 0), (-6, -3), (-4, -2), (-2, 0), (0, 0)]


async def _check(settings: Settings, app_id: str) -> None:
    """For each range and interval, the pages' figures from the tallies equal the reports counted from answers."""
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            surveys = await list_surveys(session, app_id, "nps")
            polls = await list_surveys(session, app_id, "poll")
            for first, last in _RANGES:
                start, end = _today() + timedelta(days=first), _today() + timedelta(days=last)
                scope = ReportScope(guide="nps", tenant=None, start=start, end=end)
                interval: Interval
                for interval in ("day", "week"):
                    page = await nps_overview(session, app_id, scope, interval, 1, 2, surveys)
                    exact = await nps_report(session, app_id, scope, interval)
                    assert page.report == exact, (first, last, interval)
                rows = await answers(session, app_id, "nps", scope)
                latest = {r.visitor_id: r.score for r in rows}
                assert [d.count for d in page.distribution] == [
                    sum(1 for s in latest.values() if s == n) for n in range(11)]
                commented = [r for r in reversed(rows) if r.comment]
                assert page.comments_total == len(commented)
                assert [(c.visitor, c.comment) for c in page.comments] == [
                    (r.visitor_id, r.comment) for r in commented[:2]]
                assert sum(t.responses for t in page.tenants) == nps_figures(latest.values()).responses
                # the page's table: only the tenants with the most answers, each as in the full list
                top = await nps_overview(session, app_id, scope, "day", 1, 2, surveys, tenant_rows=1)
                ranked = sorted(page.tenants, key=lambda t: (-t.responses, t.tenant if t.responses else "",
                                                             -t.shown, t.tenant))
                assert top.tenants == ranked[:1]
                assert top.tenants_answered == sum(1 for t in page.tenants if t.responses)
                poll_scope = ReportScope(guide="tour-poll", tenant=None, start=start, end=end)
                got = (await poll_overview(session, app_id, poll_scope, polls)).report
                want = await poll_report(session, app_id, poll_scope, per_tenant=False)
                assert got is not None and got.questions == want.questions, (first, last)
    finally:
        await engine.dispose()


def _nps(visitor: str, days: float, score: int, tenant: str | None = "acme", comment: str | None = None
         ) -> dict[str, object]:
    fields: dict[str, object] = {"score": score}
    if comment:
        fields["comment"] = comment
    return answer("nps_response", visitor, tenant, seconds=days * DAY, **fields)


def _poll(visitor: str, days: float, question: str, tenant: str | None = "acme", **fields: object
          ) -> dict[str, object]:
    return answer("poll_response", visitor, tenant, guide="tour-poll", seconds=days * DAY, question=question,
                  step=1, **fields)


async def test_the_tallies_follow_answers_aliases_tenants_erasure_and_retention(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    pushed = await push(client, app.secret_key, {"nps.yaml": NPS.format(sample=1.0), "polls.yaml": POLLS})
    assert pushed.status_code == 200, pushed.text
    public = app.public_key
    await send(client, public,
               seen("ana", seconds=-5 * DAY), _nps("ana", -5, 3, comment="Slow"), _nps("ana", -1, 9),
               seen("ben", "globex", seconds=-2 * DAY), _nps("ben", -2, 10, "globex", comment="Great"),
               _nps("cy", -3, 7, "globex"), _nps("cy", -1.5, 2, "globex", comment="Worse"),
               seen("dee", None), _nps("anon-1", -4, 6, None, comment="Meh"),
               _poll("ana", -5, "plan", choices=["free"]), _poll("ana", -1, "plan", choices=["pro"]),
               _poll("ben", -2, "uses", "globex", choices=["api", "reports", "api"]),
               _poll("ben", -2, "ease", "globex", rating=4), _poll("cy", -3, "ease", "globex", rating=2),
               _poll("cy", -1, "more", "globex", text="More exports"), _poll("anon-1", -2, "plan", None,
                                                                              choices=["free"]))
    await _check(settings, app.id)

    # cy's answer of four days ago arrives late: it sits between none and the one of three days ago
    await send(client, public, _nps("cy", -4, 8, "globex"), _poll("cy", -4, "ease", "globex", rating=5))
    await _check(settings, app.id)

    # anon-1 was ana all along (her answers and anon-1's become one chain); dee's tenant becomes known
    await send(client, public,
               {"id": "alias-1", "type": "alias", "ts": at(-10), "visitor": "ana", "tenant": "acme",
                "previous": "anon-1"},
               {"id": "dee-page", "type": "page", "ts": at(-5), "visitor": "dee", "tenant": "initech",
                "url": "https://h/"})
    await _check(settings, app.id)

    await erase(settings, app.id, "ben")
    await _check(settings, app.id)

    # Retention of three days purges the older answers: the ones they were replaced by stay as they were.
    kept = await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": 3},
                            headers=auth(app.secret_key))
    assert kept.status_code == 200, kept.text
    purged = await purge(settings, chunk=2)
    assert purged[app.id] > 0
    await _check(settings, app.id)
