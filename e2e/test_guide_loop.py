"""The guide loop as a new user meets it, in Chromium: the widget's words in the visitor's language, a top banner
that leaves the header visible, links that stay in the tab, Tab leaving a tooltip, tours that go on across pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from e2e.conftest import ROOT, Server
from e2e.support import new_visitor

GUIDES = {
    "fr-tour": """
        kind: walkthrough
        snooze_days: 1
        targeting: {pages: ["/loop/words"]}
        steps:
          - {type: lightbox, title: {en: Welcome, fr: Bienvenue, de: Willkommen}}
          - {type: lightbox, title: {en: Second, fr: Deuxième, de: Zweite}}
    """,
    "top-banner": """
        kind: announcement
        targeting: {pages: ["/loop/banner"]}
        steps:
          - {type: banner, position: top, title: Fresh news, body: "Something *new*."}
    """,
    "links": """
        kind: announcement
        targeting: {pages: ["/loop/links"]}
        steps:
          - type: lightbox
            title: Links
            body: '<p><a href="/loop/list?from=guide">inside</a> <a href="https://example.com/x">outside</a>
              <a href="javascript:alert(1)">dead</a></p>'
    """,
    "tip": """
        kind: tooltip
        targeting: {pages: ["/loop/tab"]}
        steps:
          - {type: tooltip, anchor: "#new", title: A tip, body: "Press [here](/loop/list)."}
    """,
    "cross": """
        kind: walkthrough
        targeting: {pages: ["/loop/list"]}
        steps:
          - {type: lightbox, title: Start}
          - {type: tooltip, anchor: "#new", title: Create, next_url: /loop/item/7}
          - {type: tooltip, page: "/loop/item/*", anchor: "#item", title: The item}
          - {type: lightbox, title: Finish}
    """,
    "note": """
        kind: walkthrough
        targeting: {pages: ["/loop/here"]}
        steps:
          - {type: lightbox, title: Here}
          - {type: lightbox, page: /loop/there, title: There}
    """,
}

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Loop</title>
<style>body {{ margin: 0; font: 16px sans-serif }} header {{ position: sticky; top: 0; height: 56px; background: #ddd }}
main {{ padding: 16px }}</style></head>
<body><header id="top"><a href="/loop/list">Home</a></header>
<main><h1>{path}</h1><button id="new">New</button> <span id="item">Item</span></main>
<script>
  const q = new URLSearchParams(location.search);
  for (const k of ["v", "l", "s"]) if (q.get(k)) sessionStorage.setItem(k, q.get(k));
</script>
<script src="{base}/widget.js" data-key="{key}"></script>
<script>
  const strings = sessionStorage.getItem("s");
  waymark.initialize({{visitor: {{id: sessionStorage.getItem("v"), locale: sessionStorage.getItem("l") || "en"}},
                      strings: strings ? JSON.parse(strings) : undefined}});
</script></body></html>"""


@pytest.fixture(scope="module")
def loop_app(server: Server) -> dict[str, str]:
    """An app of its own, so that these guides never reach the demo's visitors."""
    created = subprocess.run(
        [sys.executable, "-m", "waymark.cli", "apps", "create", "Loop", "--json"], cwd=ROOT, check=False,
        env={**os.environ, "WAYMARK_DATABASE_URL": f"sqlite+aiosqlite:///{server.db_path}"},
        capture_output=True, text=True,
    )
    assert created.returncode == 0, created.stderr
    app: dict[str, str] = json.loads(created.stdout)
    files = [{"name": f"{gid}.yaml", "content": f"id: {gid}\nname: {gid}\nignore_throttle: true\n"
              + "\n".join(line[8:] for line in body.strip("\n").splitlines())}
             for gid, body in GUIDES.items()]
    pushed = httpx.post(f"{server.url}/api/v1/guide-definitions/push", json={"files": files}, timeout=10,
                        headers={"Authorization": f"Bearer {app['secret_key']}"})
    assert pushed.status_code == 200, pushed.text
    return app


@pytest.fixture
def loop(page: Page, server: Server, loop_app: dict[str, str]) -> Iterator[str]:
    """Serve the host pages under /loop/ on the server's origin; yields the base URL."""

    def fulfil(route: Route) -> None:
        path = route.request.url.removeprefix(server.url).split("?")[0]
        route.fulfill(content_type="text/html", body=PAGE.format(path=path, base=server.url,
                                                                    key=loop_app["public_key"]))

    page.route(f"{server.url}/loop/**", fulfil)
    yield f"{server.url}/loop"


def _open(page: Page, loop: str, path: str, locale: str = "en", **strings: Any) -> None:
    query = {"v": new_visitor("loop"), "l": locale}
    if strings:
        query["s"] = json.dumps(strings)
    page.goto(f"{loop}/{path}?{httpx.QueryParams(query)}")


def test_a_french_visitor_sees_french_words_and_an_app_can_change_them(page: Page, loop: str) -> None:
    _open(page, loop, "words", locale="fr-FR")
    tour = page.get_by_role("dialog", name="Bienvenue")
    expect(tour).to_be_visible()
    expect(tour.get_by_text("1 sur 2")).to_be_visible()
    expect(tour.get_by_role("button", name="Me le rappeler plus tard")).to_be_visible()
    expect(tour.get_by_role("button", name="Fermer")).to_be_visible()
    tour.get_by_role("button", name="Suivant").click()
    second = page.get_by_role("dialog", name="Deuxième")
    expect(second.get_by_role("button", name="Retour")).to_be_visible()
    expect(second.get_by_role("button", name="Terminé")).to_be_visible()

    _open(page, loop, "words", locale="de", next="Weiter geht's")  # the host's word wins over the shipped one
    tour = page.get_by_role("dialog", name="Willkommen")
    expect(tour.get_by_text("1 von 2")).to_be_visible()
    expect(tour.get_by_role("button", name="Weiter geht's")).to_be_visible()
    expect(tour.get_by_role("button", name="Schließen")).to_be_visible()


def test_a_top_banner_pushes_the_page_down(page: Page, loop: str) -> None:
    _open(page, loop, "banner")
    banner = page.get_by_role("region", name="Fresh news")
    expect(banner).to_be_visible()
    header = page.locator("#top")

    def header_below_banner() -> bool:
        b, h = banner.bounding_box(), header.bounding_box()
        return b is not None and h is not None and h["y"] >= b["y"] + b["height"] - 0.5

    page.wait_for_function("document.body.style.paddingTop !== ''")
    assert header_below_banner(), (banner.bounding_box(), header.bounding_box())
    expect(header.get_by_role("link", name="Home")).to_be_visible()
    banner.get_by_role("button", name="Close").click()
    expect(banner).to_have_count(0)
    page.wait_for_function("document.body.style.paddingTop === ''")
    assert header.bounding_box()["y"] == 0  # type: ignore[index]


def test_links_stay_in_the_tab_and_a_removed_href_is_text(page: Page, loop: str) -> None:
    _open(page, loop, "links")
    dialog = page.get_by_role("dialog", name="Links")
    expect(dialog).to_be_visible()
    inside, outside = dialog.get_by_role("link", name="inside"), dialog.get_by_role("link", name="outside")
    expect(outside).to_have_attribute("target", "_blank")
    expect(outside).to_have_attribute("rel", "noopener noreferrer")
    assert inside.get_attribute("target") is None
    expect(dialog.get_by_text("dead")).to_be_visible()
    expect(dialog.locator("a")).to_have_count(2)  # "dead" lost its href: it is not a link at all
    inside.click()
    expect(page).to_have_url(f"{loop}/list?from=guide")
    assert len(page.context.pages) == 1


def test_tab_leaves_a_tooltip(page: Page, loop: str) -> None:
    _open(page, loop, "tab")
    tip = page.get_by_role("dialog", name="A tip")
    expect(tip).to_be_visible()
    expect(tip).not_to_have_attribute("aria-modal", "true")
    page.evaluate("document.body.append(Object.assign(document.createElement('button'), {id: 'after'}))")
    done = tip.get_by_role("button", name="Done")
    expect(done).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#after")).to_be_focused()  # the page's next element, not back into the tooltip
    page.keyboard.press("Shift+Tab")
    expect(done).to_be_focused()


def test_next_url_takes_the_tour_to_its_next_page(page: Page, loop: str) -> None:
    _open(page, loop, "list")
    page.get_by_role("dialog", name="Start").get_by_role("button", name="Next").click()
    create = page.get_by_role("dialog", name="Create")
    expect(create.get_by_text("2 of 4")).to_be_visible()
    create.get_by_role("button", name="Next").click()
    expect(page).to_have_url(f"{loop}/item/7")
    item = page.get_by_role("dialog", name="The item")
    expect(item.get_by_text("3 of 4")).to_be_visible()
    item.get_by_role("button", name="Next").click()  # the last step inherits the item page
    finish = page.get_by_role("dialog", name="Finish")
    expect(finish).to_be_visible()
    finish.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_without_next_url_the_widget_says_where_the_tour_goes_on(page: Page, loop: str) -> None:
    _open(page, loop, "here")
    page.get_by_role("dialog", name="Here").get_by_role("button", name="Next").click()
    note = page.get_by_role("region", name="The tour continues on another page")
    expect(note).to_be_visible()
    note.get_by_role("link", name="/loop/there").click()
    expect(page).to_have_url(f"{loop}/there")
    expect(page.get_by_role("dialog", name="There")).to_be_visible()


def test_the_survey_and_policy_chunk_loads_only_when_needed_under_a_strict_csp(page: Page, server: Server) -> None:
    chunks: list[str] = []
    page.on("request", lambda r: chunks.append(r.url) if "waymark-feedback" in r.url else None)
    page.add_init_script("window.__violations = [];"
                         "document.addEventListener('securitypolicyviolation', e => __violations.push(e.blockedURI))")
    page.goto(f"{server.url}/demo/invoices?visitor={new_visitor()}")  # the welcome tour: no survey, no policy
    expect(page.get_by_role("dialog", name="Welcome to Ledgerly")).to_be_visible()
    assert chunks == [] and page.evaluate("window.waymark._fb") is None

    with page.expect_response(lambda r: "/widget/waymark-feedback." in r.url) as chunk:
        page.goto(f"{server.url}/demo/invoices?visitor=pat")  # pat's answer holds the terms of use
    assert chunk.value.status == 200
    page.wait_for_function("!!(window.waymark && window.waymark._fb)")
    # the demo allows scripts by nonce only: the chunk carried the widget script's nonce
    assert page.evaluate("() => new Promise(done => setTimeout(() => done(window.__violations)))") == []
