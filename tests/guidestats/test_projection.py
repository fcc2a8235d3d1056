"""The guide figures kept by ingestion, against hand-counted events, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.guidestats.helpers import TOUR, guide_event, report, send
from tests.support import erase, make_app, push
from waymark.guidestats import report as report_module
from waymark.settings import Settings


def _story() -> list[dict[str, Any]]:
    """Five visitors of a three-step tour, counted by hand in the test below."""
    e = guide_event
    return [
        # ana: every step, completed 30 s after she first saw it
        e("guide_seen", "ana", 0, 0, "acme", trigger="auto"),
        e("guide_step_advanced", "ana", 10, 1, "acme", **{"from": 0}),
        e("guide_step_advanced", "ana", 20, 2, "acme", **{"from": 1}), e("guide_completed", "ana", 30, 2, "acme"),
        # ben: two steps, then closed it after 65 s
        e("guide_seen", "ben", 0, 0, "acme"), e("guide_step_advanced", "ben", 5, 1, "acme"),
        e("guide_dismissed", "ben", 65, 1, "acme"),
        # cy: "remind me later" on the first step (not timed: the tour comes back)
        e("guide_seen", "cy", 0, 0, "globex"), e("guide_snoozed", "cy", 3, 0, "globex", days=1),
        # dee: a tooltip whose anchor never appeared, so never shown
        e("guide_anchor_missing", "dee", 0, 0, "globex", anchor="#x", waited_ms=3000),
        # eve (no tenant yet): seen, seen again on the next page (resumed), completed 160 s after the first
        e("guide_seen", "eve", 0, 0), e("guide_seen", "eve", 100, 0, trigger="resume"),
        e("guide_completed", "eve", 160),
    ]


async def test_figures_match_hand_counted_events_and_a_resend_changes_nothing(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"tour.yaml": TOUR})).status_code == 200
    story = _story()
    await send(client, app.public_key, story[:7])
    await send(client, app.public_key, story[7:])
    first = await report(settings, app.id)
    # views: ana 1, ben 1, cy 1, eve 2; visitors who saw it: ana, ben, cy, eve
    assert (first.views, first.visitors) == (5, 4)
    assert (first.completed, first.dismissed, first.snoozed) == (2, 1, 1)
    assert (first.completion_rate, first.dismiss_rate, first.snooze_rate) == (0.5, 0.25, 0.25)
    assert (first.anchor_missing, first.anchor_missing_visitors) == (1, 1)
    # top steps: ana 2, ben 1, cy 0, eve 0 → step 1 reached by 4, step 2 by 2, step 3 by 1
    assert [(s.step, s.title, s.visitors, s.share) for s in first.steps] == [
        (1, "Welcome", 4, 1.0), (2, "Invoices", 2, 0.5), (3, "Done", 1, 0.25)]
    # timed showings: ana 30 s, ben 65 s, eve 160 s (from her first guide_seen); cy snoozed: not timed
    assert (first.timed, first.median_ms) == (3, 65_000)
    assert sum(d.views for d in first.days) == 5 and sum(d.completed for d in first.days) == 2
    assert (first.name, first.kind) == ("Tour", "walkthrough")

    # The same events again (a client's retry), together with one new view: only the new one counts.
    again = await send(client, app.public_key, [*story, guide_event("guide_seen", "fay", 200, 0, "acme")])
    assert (again["accepted"], again["duplicates"]) == (1, len(story))
    second = await report(settings, app.id)
    assert (second.views, second.visitors, second.completed, second.timed) == (6, 5, 2, 3)
    assert [s.visitors for s in second.steps] == [5, 2, 1]


async def test_tenant_scope_a_late_tenant_aliases_and_erasure(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"tour.yaml": TOUR})).status_code == 200
    await send(client, app.public_key, _story())
    acme = await report(settings, app.id, tenant="acme")
    assert (acme.views, acme.visitors, acme.completed, acme.dismissed) == (2, 2, 1, 1)
    assert (await report(settings, app.id, tenant="initech")).visitors == 0
    # eve's next event names her tenant: what she did without one moves there
    await send(client, app.public_key, [{"id": "eve-page", "type": "page", "ts": _story()[0]["ts"], "visitor": "eve",
                                         "tenant": "initech", "url": "https://h/"}])
    initech = await report(settings, app.id, tenant="initech")
    assert (initech.views, initech.visitors, initech.completed, initech.median_ms) == (2, 1, 1, 160_000)
    # an anonymous visitor's showing goes on under the id they get: seen as anon, completed as gus
    await send(client, app.public_key, [guide_event("guide_seen", "anon-1", 0, 0, "acme")])
    await send(client, app.public_key, [
        {"id": "alias-1", "type": "alias", "ts": guide_event("x", "gus", 5)["ts"], "visitor": "gus",
         "previous": "anon-1", "tenant": "acme"},
        guide_event("guide_completed", "gus", 40, 2, "acme"),
    ])
    merged = await report(settings, app.id, tenant="acme")
    assert (merged.visitors, merged.completed, merged.timed) == (3, 2, 3)
    assert merged.median_ms == 40_000  # ana 30 s, gus 40 s, ben 65 s
    # erasure takes the visitor's rows with it
    await erase(settings, app.id, "gus")
    erased = await report(settings, app.id, tenant="acme")
    assert (erased.visitors, erased.completed, erased.median_ms) == (2, 1, 47_500)


async def test_an_unknown_guide_without_figures_is_refused_and_a_segment_narrows(
    client: AsyncTestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"tour.yaml": TOUR})).status_code == 200
    await send(client, app.public_key, _story())
    only = await report(settings, app.id, segment="visitor.name=x", visitors=["ana", "cy"])
    assert (only.views, only.visitors, only.completed, only.snoozed) == (2, 2, 1, 1)
    # a segment too large for one IN list is asked in parts that add up to the same figures
    monkeypatch.setattr(report_module, "MEMBERS_A_QUERY", 1)
    assert await report(settings, app.id, segment="visitor.name=x", visitors=["ana", "cy", "nobody"]) == only
    monkeypatch.undo()
    by_tenant = await report(settings, app.id, segment="tenant.plan=pro", tenants=["globex"])
    assert (by_tenant.visitors, by_tenant.anchor_missing) == (1, 1)
    try:
        await report(settings, app.id, guide="nothing")
    except LookupError as exc:
        assert "nothing" in str(exc)
    else:
        raise AssertionError("an unknown guide gave a report")
