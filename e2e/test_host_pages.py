"""The widget on real host pages: banners by page, anchored tooltips, hostile CSS, strict CSP, SPA routes."""

from __future__ import annotations

import httpx
from playwright.sync_api import Locator, Page, expect

from e2e.conftest import Server
from e2e.support import SentEvents, new_visitor, record_posts, wait_until

VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


HIDE = """() => {
    Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
    document.dispatchEvent(new Event('visibilitychange'));
}"""


def _skip_tour(page: Page) -> None:
    page.get_by_role("dialog", name="Welcome to Ledgerly").get_by_role("button", name="Close").click()


def violations(page: Page) -> list[str]:
    """This page load's CSP violations, read one task later: the browser reports each in a task of its own."""
    return page.evaluate("() => new Promise(done => setTimeout(() => done(window.__violations)))")


def settled(dialog: Locator) -> None:
    """Wait until each image in ``dialog`` has loaded or failed: any handler it could run has had its turn."""
    dialog.evaluate("""el => Promise.all([...el.querySelectorAll('img')].map(img => img.complete ? null :
        new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })))
        .then(() => new Promise(done => setTimeout(done)))""")


def test_banner_shows_only_on_its_page(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page)
    banner = page.get_by_role("region", name="New: invite your team")
    page.goto(f"{server.url}/demo/settings?visitor={visitor}")
    expect(banner).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)  # the tour belongs to the invoices page

    # a single-page-app route change away from the page removes it; coming back shows it again
    page.get_by_role("link", name="Team").click()
    expect(page).to_have_url(f"{server.url}/demo/settings/team")
    expect(banner).to_have_count(0)
    page.go_back()
    expect(page).to_have_url(f"{server.url}/demo/settings?visitor={visitor}")
    expect(banner).to_be_visible()

    page.goto(f"{server.url}/demo/invoices")
    expect(page.get_by_role("dialog", name="Welcome to Ledgerly")).to_be_visible()
    expect(banner).to_have_count(0)
    since = sent.now()
    page.goto(f"{server.url}/demo/invoices/INV-1003")
    sent.wait_decided(since)
    expect(banner).to_have_count(0)


def test_closed_banner_stays_closed_and_got_it_completes_it(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page)
    banner = page.get_by_role("region", name="New: invite your team")
    page.goto(f"{server.url}/demo/settings?visitor={visitor}")
    banner.get_by_role("button", name="Close").click()
    sent.wait_for(2)  # the dismissal leaves after the widget chose what else to show
    expect(banner).to_have_count(0)  # not straight back on the same page
    page.reload()
    expect(banner).to_be_visible()  # "until completed": it comes back on the next visit
    banner.get_by_role("button", name="Got it").click()
    expect(banner).to_have_count(0)
    sent.wait_for(4)
    assert [(e[0], e[1]) for e in sent.summary()] == [
        ("guide_seen", "settings-banner"), ("guide_dismissed", "settings-banner"),
        ("guide_seen", "settings-banner"), ("guide_completed", "settings-banner"),
    ]
    sent.wait_stored(sent.of("guide_completed"))  # sent by this page load: its answer is reported
    page.evaluate("localStorage.clear()")  # the server alone remembers it is completed
    since = sent.now()
    page.goto(f"{server.url}/demo/settings?visitor={visitor}")
    sent.wait_decided(since)
    expect(banner).to_have_count(0)


def test_tooltip_stays_attached_when_the_page_scrolls(page: Page, server: Server) -> None:
    page.set_viewport_size({"width": 1100, "height": 700})
    page.goto(f"{server.url}/demo/invoices?visitor={new_visitor()}")
    page.get_by_role("dialog", name="Welcome to Ledgerly").get_by_role("button", name="Next").click()
    tooltip = page.get_by_role("dialog", name="New invoice")
    expect(tooltip).to_be_visible()
    anchor = page.locator("#new-invoice")

    def gap() -> tuple[float, float]:
        t, a = tooltip.bounding_box(), anchor.bounding_box()
        assert t and a
        return round(t["y"] - (a["y"] + a["height"])), round((t["x"] + t["width"] / 2) - (a["x"] + a["width"] / 2))

    before = gap()
    assert 0 <= before[0] <= 24, before  # just below its anchor
    start_y = anchor.bounding_box()["y"]  # type: ignore[index]
    page.mouse.wheel(0, 50)
    # polled from here (wait_for_function evaluates strings: the page's CSP forbids that)
    wait_until(page, lambda: page.evaluate("window.scrollY") >= 50 and gap() == before)
    assert page.evaluate("window.scrollY") >= 50
    assert anchor.bounding_box()["y"] < start_y - 40  # type: ignore[index]
    assert gap() == before
    page.set_viewport_size({"width": 900, "height": 650})  # a layout change moves the anchor
    wait_until(page, lambda: gap()[0] == before[0])
    assert gap()[0] == before[0]


def test_hostile_host_stylesheet_does_not_break_the_widget(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/demo/invoices?hostile=1&visitor={new_visitor()}")
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize") == "40px"  # the page is wrecked
    dialog = page.get_by_role("dialog", name="Welcome to Ledgerly")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("el => getComputedStyle(el).fontSize") == "14px"
    box = dialog.bounding_box()
    assert box and 250 < box["width"] < 600 and box["height"] < 400, box
    next_button = dialog.get_by_role("button", name="Next")
    assert next_button.evaluate("el => getComputedStyle(el).transform") == "none"
    next_button.click()
    expect(page.get_by_role("dialog", name="New invoice")).to_be_visible()


def test_strict_csp_page_works_without_violations(page: Page, server: Server) -> None:
    page.add_init_script(VIOLATIONS)
    sent = SentEvents(page)
    response = page.goto(f"{server.url}/demo/invoices?visitor={new_visitor()}")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'nonce-" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "style-src 'self'" in csp
    dialog = page.get_by_role("dialog", name="Welcome to Ledgerly")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Next").click()
    expect(page.get_by_role("dialog", name="New invoice")).to_be_visible()
    sent.wait_for(2)  # seen, advanced: the events went out too
    assert violations(page) == []  # each page load has its own list: read this one before leaving
    page.goto(f"{server.url}/demo/settings")
    expect(page.get_by_role("region", name="New: invite your team")).to_be_visible()
    sent.wait_for(3)
    assert violations(page) == []


def test_widget_never_puts_author_content_through_innerhtml(page: Page, server: Server) -> None:
    visitor = new_visitor("e2e-xss")
    hostile = (
        "id: e2e-hostile-content\nname: Hostile\nkind: announcement\npriority: 1000\nignore_throttle: true\n"
        f"targeting:\n  segment: {{field: visitor.id, op: eq, value: {visitor}}}\n"
        "steps:\n  - type: lightbox\n    title: \"<img src=x onerror=window.__pwned=1> Hi\"\n"
        "    body: |\n"
        "      <p>Hello <script>window.__pwned=2</script><img src=\"x\" onerror=\"window.__pwned=3\">"
        "<a href=\"javascript:window.__pwned=4\">click me</a>"
        "<a href=\"https://example.com/\" onclick=\"window.__pwned=5\">safe link</a></p>\n"
    )
    pushed = httpx.post(
        f"{server.url}/api/v1/guide-definitions/push",
        headers={"Authorization": f"Bearer {server.secret_key}"},
        json={"files": [{"name": "hostile.yaml", "content": hostile}]}, timeout=10,
    )
    assert pushed.status_code == 200, pushed.text
    page.add_init_script(VIOLATIONS)
    page.goto(f"{server.url}/demo/settings/team?visitor={visitor}")
    dialog = page.get_by_role("dialog", name="<img src=x onerror=window.__pwned=1> Hi")  # the title is text
    expect(dialog).to_be_visible()
    # what decides it is in the tree: no script, no handler attribute, no javascript: link (checked below)
    assert dialog.locator("script").count() == 0
    page.get_by_text("click me").click()
    settled(dialog)
    assert page.evaluate("window.__pwned") is None
    assert violations(page) == []
    attributes = dialog.evaluate("el => [...el.querySelectorAll('*')].flatMap(e => [...e.attributes])"
                                 ".map(a => a.name + '=' + a.value)")
    assert not [a for a in attributes if a.startswith("on") or "javascript:" in a], attributes
    safe = dialog.get_by_role("link", name="safe link")
    expect(safe).to_have_attribute("href", "https://example.com/")
    expect(safe).to_have_attribute("rel", "noopener noreferrer")


def test_events_flush_when_the_page_is_hidden(page: Page, server: Server) -> None:
    visitor = new_visitor()
    record_posts(page)
    sent = SentEvents(page, types={"track"})
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    _skip_tour(page)  # the delivery answer is in: events may leave
    # a tracked event waits a second for its batch; hidden in the same task, the page must send it at once
    at_hide = page.evaluate(f"""() => {{
        waymark.track('Just before hiding');
        ({HIDE})();
        return window.__waymarkPosts.filter(p => p.body.includes('Just before hiding'));
    }}""")
    assert [p["keepalive"] for p in at_hide] == [True]  # may outlive the page
    sent.wait_for(1)
    sent.wait_stored()
    assert [e["props"] for e in server.events(visitor) if e["type"] == "track"] == [{}]
