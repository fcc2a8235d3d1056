"""The admin's cohort pages: create, edit and delete by form (CSRF-checked, audited), problems named on the form,
members as HTML, JSON and CSV, and readers who may look but not change."""

from __future__ import annotations

import html as html_lib

from litestar.testing import AsyncTestClient

from tests.admin.pages_support import audited, post_page, signed_in
from tests.analytics.summary_helpers import on, send
from tests.support import make_app
from waymark.access.principal import Grant, Role
from waymark.settings import Settings

AUTHOR = "author@example.test"


async def test_an_author_creates_edits_and_deletes_a_cohort(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, on("page", "old-timer", "acme", 20), on("page", "newbie", "acme", 1))
    await signed_in(client, settings, AUTHOR, [Grant(app.id, Role.AUTHOR)])
    base = f"/admin/apps/{app.id}/cohorts"
    listed = await client.get(base)
    assert listed.status_code == 200 and "New cohort" in listed.text and 'name="_csrf_token"' in listed.text

    bad = await post_page(client, base, base, {"id": "new", "name": "New", "rule": "{first_seen_within: 0}"})
    assert bad.status_code == 400
    assert "rule.first_seen_within: a whole number of days from 1 to 400" in html_lib.unescape(bad.text)
    not_yaml = await post_page(client, base, base, {"id": "new", "name": "New", "rule": "all: [\n"})
    assert not_yaml.status_code == 400 and "neither JSON nor YAML" in not_yaml.text
    bad_id = await post_page(client, base, base, {"id": "New One", "name": "N", "rule": "{first_seen_within: 7}"})
    assert bad_id.status_code == 400 and "id: 1 to 64 lower-case" in html_lib.unescape(bad_id.text)

    made = await post_page(client, base, base, {"id": "new", "name": "Newcomers", "description": "first week",
                                                "rule": "first_seen_within: 7\n"})
    assert made.status_code == 200 and "Cohort new saved: 1 member(s) now." in made.text
    again = await post_page(client, base, base, {"id": "new", "name": "Again", "rule": "{first_seen_within: 7}"})
    assert again.status_code == 400 and "exists already" in again.text

    page = await client.get(f"{base}/new")
    assert page.status_code == 200 and "newbie" in page.text and "old-timer" not in page.text
    as_json = (await client.get(f"{base}/new?format=json")).json()
    assert as_json["size"] == 1 and [m["visitor"] for m in as_json["members"]] == ["newbie"]
    as_csv = await client.get(f"{base}/new?format=csv")
    assert as_csv.text.lstrip("\ufeff").splitlines()[0] == "visitor,since" and "newbie" in as_csv.text
    assert [c["id"] for c in (await client.get(f"{base}?format=json")).json()] == ["new"]

    edited = await post_page(client, f"{base}/new", f"{base}/new", {
        "name": "Newcomers", "rule": '{"first_seen_within": 30}'})
    assert edited.status_code == 200 and "Saved: 2 member(s) now." in edited.text
    broken = await post_page(client, f"{base}/new", f"{base}/new", {"name": "Newcomers", "rule": '{"did": 1}'})
    assert broken.status_code == 400 and "rule.did" in broken.text
    deleted = await post_page(client, f"{base}/new", f"{base}/new/delete")
    assert deleted.status_code == 200 and "Cohort new deleted." in deleted.text
    assert (await client.get(f"{base}/new")).status_code == 404
    assert [(a, t) for _, a, t in await audited(settings, app.id)] == [
        ("cohort.create", "new"), ("cohort.update", "new"), ("cohort.delete", "new")]


async def test_an_analyst_reads_but_does_not_change_cohorts(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await client.put("/api/v1/cohorts/recent", json={"name": "Recent", "rule": {"first_seen_within": 7}},
                     headers={"Authorization": f"Bearer {app.secret_key}"})
    await signed_in(client, settings, "analyst@example.test", [Grant(app.id, Role.ANALYST)])
    base = f"/admin/apps/{app.id}/cohorts"
    listed = await client.get(base)
    assert listed.status_code == 200 and "Recent" in listed.text and "New cohort" not in listed.text
    refused = await post_page(client, base, base, {"id": "x", "name": "X", "rule": "{first_seen_within: 7}"})
    assert refused.status_code == 404
    no_token = await client.post(f"{base}/recent/delete", data={})
    assert no_token.status_code == 403
