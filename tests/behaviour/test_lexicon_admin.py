"""The lexicon page: table, chart, properties, JSON and CSV at one URL; the edit form (authors, CSRF-checked)."""

from __future__ import annotations

import csv
import io

from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, post_form, sign_in
from tests.admin.pages_support import audited
from tests.analytics.summary_helpers import on, send
from tests.support import make_app
from waymark.access.principal import Grant, Role
from waymark.settings import Settings


async def _setup(client: AsyncTestClient, settings: Settings) -> tuple[str, str]:
    app = await make_app(settings)
    await send(client, app.public_key,
               *(on("track", f"v{i}", "acme", 1, name="Invoice Sent", props={"amount": i}) for i in range(3)),
               on("track", "v1", "acme", 2, name="Signup", props={"plan": "pro"}))
    await add_person(settings, "author@x.test", [Grant(app.id, Role.AUTHOR)])
    await add_person(settings, "analyst@x.test", [Grant(app.id, Role.ANALYST)])
    return app.id, f"/admin/apps/{app.id}/lexicon"


async def test_the_page_shows_events_chart_properties_and_exports(client: AsyncTestClient, settings: Settings) -> None:
    _, url = await _setup(client, settings)
    await sign_in(client, "analyst@x.test")
    page = await client.get(url)
    assert page.status_code == 200, page.text
    assert 'class="bar-chart"' in page.text and "Invoice Sent" in page.text and "<code>amount</code>" in page.text
    assert "<form" not in page.text.split('id="report"')[1]  # an analyst reads, and cannot edit
    data = (await client.get(url, params={"format": "json"})).json()
    assert [(e["name"], e["volume_30d"]) for e in data["events"]] == [("Invoice Sent", 3), ("Signup", 1)]
    rows = list(csv.reader(io.StringIO((await client.get(url, params={"format": "csv"})).text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["event", "status", "description"]
    assert [(r[0], r[1], r[5], r[8]) for r in rows[1:]] == [("Invoice Sent", "visible", "3", "amount"),
                                                            ("Signup", "visible", "1", "plan")]
    refused = await post_form(client, url, {"name": "Signup", "status": "hidden", "description": ""}, token_from=url)
    assert refused.status_code == 404  # an analyst may not edit: the route does not exist for them


async def test_an_author_edits_description_and_status(client: AsyncTestClient, settings: Settings) -> None:
    app_id, url = await _setup(client, settings)
    await sign_in(client, "author@x.test")
    saved = await post_form(client, url, {"name": "Signup", "status": "blocked", "description": "A new account."},
                            token_from=url)
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?saved=Signup"
    data = (await client.get(url, params={"format": "json"})).json()
    signup = next(e for e in data["events"] if e["name"] == "Signup")
    assert (signup["status"], signup["description"]) == ("blocked", "A new account.")
    assert ("author@x.test", "lexicon.edit", "Signup status=blocked description=14 chars") in [
        (a, b, c) for a, b, c in await audited(settings, app_id)]
    page = await client.get(f"{url}?saved=Signup")
    assert "Saved Signup." in page.text
    assert page.text.count(f'<form method="post" action="{url}"') == 2  # one edit form per event


async def test_bad_form_input_is_refused_with_the_field_named(client: AsyncTestClient, settings: Settings) -> None:
    _, url = await _setup(client, settings)
    await sign_in(client, "author@x.test")
    for form, named in (({"name": "Signup", "status": "deleted"}, "status:"),
                        ({"name": "Signup", "description": "x" * 2001}, "description:"),
                        ({"name": "Sign\u0001up", "status": "hidden"}, "name:"),
                        ({"name": "Never sent", "status": "hidden"}, "name:")):
        answer = await post_form(client, url, form, token_from=url)
        assert answer.status_code == 400 and named in answer.text, (form, answer.text[:300])
    data = (await client.get(url, params={"format": "json"})).json()
    assert {(e["status"], e["description"]) for e in data["events"]} == {("visible", "")}
    # without the CSRF token the form is refused before anything is read
    forged = await client.post(url, data={"name": "Signup", "status": "blocked"}, follow_redirects=False)
    assert forged.status_code == 403
