"""The signal and impact admin pages: the same figures as the API at the same URL (HTML, JSON, CSV), the plain
warnings, the navigation entries, the page's CSP, and hostile options answered 400."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, owner, sign_in
from tests.admin.test_shell import check_page
from tests.analytics.helpers import auth
from tests.behaviour import test_impact_api, test_signal_api
from tests.support import make_app
from waymark.settings import Settings


async def _as_owner(client: AsyncTestClient, settings: Settings, app_id: str) -> None:
    await add_person(settings, "owner@example.test", owner(app_id))
    answer = await sign_in(client, "owner@example.test")
    assert answer.status_code in (200, 303), answer.text[:300]



async def test_the_signal_page_shows_the_api_figures(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    secret = await test_signal_api.seed_into(client, app)
    await _as_owner(client, settings, app.id)
    query = {**test_signal_api.RANGE, "min_support": "1"}
    page = await client.get(f"/admin/apps/{app.id}/signal", params=query)
    assert page.status_code == 200, page.text[:500]
    check_page(page)
    html = page.text
    assert "Correlation, not cause." in html
    assert f'href="/admin/apps/{app.id}/signal"' in html and f'href="/admin/apps/{app.id}/impact"' in html
    assert "event:Signup" in html and "+0.667" in html and "−0.667" not in html and "-0.667" in html
    assert "1 visitors whose goal period has not ended yet" in html
    as_json = await client.get(f"/admin/apps/{app.id}/signal", params={**query, "format": "json"})
    from_api = await client.get("/api/v1/reports/signal", params=query, headers=auth(secret))
    assert as_json.json() == from_api.json()
    as_csv = await client.get(f"/admin/apps/{app.id}/signal", params={**query, "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.lstrip("\ufeff").splitlines()[1].startswith("event:Signup,2,0,1,2,2,0.4,")


async def test_the_impact_page_shows_the_api_figures(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    secret = await test_impact_api.seed_into(client, app)
    await _as_owner(client, settings, app.id)
    query = {**test_impact_api.RANGE, "adoption": "feature:export"}
    page = await client.get(f"/admin/apps/{app.id}/impact", params=query)
    assert page.status_code == 200, page.text[:500]
    check_page(page)
    assert "Not a controlled experiment" in page.text and "/lift" in page.text
    assert "<polyline" in page.text and "0.833" in page.text  # the adopters' change and the difference
    as_json = await client.get(f"/admin/apps/{app.id}/impact", params={**query, "format": "json"})
    from_api = await client.get("/api/v1/reports/impact", params=query, headers=auth(secret))
    assert as_json.json() == from_api.json()
    # without an adoption chosen, the page reads the app's first feature
    default = await client.get(f"/admin/apps/{app.id}/impact",
                               params={k: v for k, v in query.items() if k != "adoption"} | {"format": "json"})
    assert default.json() == from_api.json()


async def test_an_app_without_features_gets_the_form(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await _as_owner(client, settings, app.id)
    page = await client.get(f"/admin/apps/{app.id}/impact")
    assert page.status_code == 200 and "This app has no feature yet" in page.text and "<svg" in page.text
    signal = await client.get(f"/admin/apps/{app.id}/signal")
    assert signal.status_code == 200 and "<svg" in signal.text and "No item was done" in signal.text


async def test_hostile_options_are_a_400(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await _as_owner(client, settings, app.id)
    for path, params, says in [
        ("signal", {"window_days": "0"}, "window_days=0 is out of bounds"),
        ("signal", {"goal": "page:a/b"}, "a page id"),
        ("impact", {"adoption": "event:Signup"}, "adoption is of a feature or a guide launch"),
        ("impact", {"adoption": "feature:export", "days": "400"}, "days=400 is out of bounds"),
        ("signal", {"from": "9999-12-01", "to": "9999-12-31"}, "is outside 1970"),
        ("impact", {"adoption": "feature:export", "from": "0001-01-01", "to": "0001-01-02"}, "is outside 1970"),
    ]:
        answer = await client.get(f"/admin/apps/{app.id}/{path}", params={**params, "format": "json"})
        assert answer.status_code == 400, (path, params, answer.text[:300])
        assert says in answer.text, (path, params, answer.text[:300])
