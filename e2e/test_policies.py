"""Policy prompts in Chromium: blocking until decided, before any other guide, asked again for a new version,
declines recorded, and the evidence hash equal to the hash of the text on screen."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from e2e.conftest import Server
from e2e.support import SentEvents, new_visitor, wait_until
from waymark.guides.kinds.policy_text import text_hash

# The dialog's title and body read back from the shadow DOM as the node tree the widget built them from.
_ON_SCREEN = """(dialog) => {
    const tree = (el) => [...el.childNodes].map((n) => n.nodeType == 3 ? n.data :
        [n.localName, Object.fromEntries([...n.attributes].map((a) => [a.name, a.value])), tree(n)]);
    return [dialog.querySelector('.t').textContent, tree(dialog.querySelector('.b'))];
}"""


def _auth(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.secret_key}"}


def _push_policy(server: Server, policy_id: str, visitor: str, version: int, body: str, extra: str = "") -> None:
    content = (
        f"id: {policy_id}\nname: {policy_id}\nkind: policy\npolicy: {{version: {version}{extra}}}\n"
        f"targeting:\n  pages: ['/demo/**']\n  segment: {{field: visitor.id, op: eq, value: {visitor}}}\n"
        f"steps:\n  - type: lightbox\n    title: Terms for {visitor}\n    body: {body!r}\n"
    )
    pushed = httpx.post(f"{server.url}/api/v1/guide-definitions/push", headers=_auth(server),
                        json={"files": [{"name": f"{policy_id}.yaml", "content": content}]}, timeout=10)
    assert pushed.status_code == 200, pushed.text


def _evidence(server: Server, policy_id: str, visitor: str | None = None) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/api/v1/policies/{policy_id}/evidence", headers=_auth(server), timeout=10)
    assert answer.status_code == 200, answer.text
    records: list[dict[str, Any]] = answer.json()
    return [r for r in records if visitor is None or r["visitor"] == visitor]


def _wait_evidence(page: Page, server: Server, policy_id: str, count: int,
                   visitor: str | None = None) -> list[dict[str, Any]]:
    """The policy's evidence (of ``visitor`` only, when given) once it holds ``count`` records."""
    wait_until(page, lambda: len(_evidence(server, policy_id, visitor)) >= count)
    records = _evidence(server, policy_id, visitor)
    assert len(records) == count, records
    return records


def test_a_policy_blocks_until_accepted_and_comes_first(page: Page, server: Server) -> None:
    visitor = new_visitor("policy")
    policy_id = f"p-{visitor}"
    _push_policy(server, policy_id, visitor, 1, "Read the [terms](https://example.com/t). **Really.**")
    sent = SentEvents(page)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    prompt = page.get_by_role("alertdialog", name=f"Terms for {visitor}")
    expect(prompt).to_be_visible()
    accept = prompt.get_by_role("button", name="Accept")
    expect(accept).to_be_focused()
    expect(prompt.get_by_role("button", name="Close")).to_have_count(0)
    expect(prompt.get_by_role("button", name="Decline")).to_have_count(0)  # not offered by this policy
    page.keyboard.press("Escape")
    prompt.press("Escape")
    page.mouse.click(5, 5)  # the backdrop
    expect(prompt).to_be_visible()
    # nothing else shows beneath it: the welcome tour waits for the decision
    expect(page.get_by_role("dialog")).to_have_count(0)
    screen = prompt.evaluate(_ON_SCREEN)
    # keyboard alone: Tab cycles inside the prompt (its link, then Accept, then the link again)
    for expected in ("link", "button", "link", "button"):
        page.keyboard.press("Tab")
        expect(accept if expected == "button" else prompt.get_by_role("link", name="terms")).to_be_focused()
    page.keyboard.press("Enter")
    expect(prompt).to_have_count(0)
    expect(page.get_by_role("dialog", name="Welcome to Ledgerly")).to_be_visible()  # the other guides follow
    [record] = _wait_evidence(page, server, policy_id, 1)
    assert (record["visitor"], record["decision"], record["method"], record["version"], record["locale"]) == (
        visitor, "accepted", "widget", 1, "en")
    assert record["text_hash"] == text_hash(*screen)
    assert "Chrome" in (record["user_agent"] or "")
    # the analytics copy, through the normal event pipeline
    wait_until(page, lambda: any(e["type"] == "policy_decision" for e in server.events(visitor)))
    [event] = [e for e in server.events(visitor) if e["type"] == "policy_decision"]
    assert event["props"]["decision"] == "accepted" and event["props"]["evidence"] == record["id"]
    assert not [e for e in sent.unique() if e.get("guide") == policy_id]  # no guide events for a policy

    since = sent.now()
    page.reload()
    sent.wait_decided(since)
    expect(prompt).to_have_count(0)  # decided: not asked again


def test_a_new_version_asks_again_and_an_opted_out_visitor_is_asked_too(page: Page, server: Server) -> None:
    visitor = new_visitor("policy")
    policy_id = f"p-{visitor}"
    _push_policy(server, policy_id, visitor, 1, "Version one.")
    page.add_init_script("localStorage.setItem('waymark:optout', '1')")  # opted out of analytics
    page.goto(f"{server.url}/demo/settings?visitor={visitor}")
    prompt = page.get_by_role("alertdialog", name=f"Terms for {visitor}")
    expect(prompt).to_contain_text("Version one.")
    prompt.get_by_role("button", name="Accept").click()
    expect(prompt).to_have_count(0)
    _wait_evidence(page, server, policy_id, 1)

    _push_policy(server, policy_id, visitor, 2, "Version **two**.")
    page.reload()
    expect(prompt).to_contain_text("Version two.")
    screen = prompt.evaluate(_ON_SCREEN)
    prompt.get_by_role("button", name="Accept").click()
    expect(prompt).to_have_count(0)
    records = _wait_evidence(page, server, policy_id, 2)
    assert [(r["version"], r["decision"]) for r in records] == [(1, "accepted"), (2, "accepted")]
    assert records[1]["text_hash"] == text_hash(*screen) != records[0]["text_hash"]
    assert records[1]["seq"] > records[0]["seq"]
    # evidence only: a visitor who opted out of analytics gets no analytics copy of the decision
    assert not [e for e in server.events(visitor) if e["type"] == "policy_decision"]
    status = httpx.get(f"{server.url}/api/v1/policies/{policy_id}/status", params={"visitor": visitor},
                       headers=_auth(server), timeout=10).json()
    assert (status["current_version"], status["accepted"]) == (2, True)


def test_the_demo_visitor_pat_accepts_the_terms_and_declines_the_tenant_rules(page: Page, server: Server) -> None:
    sent = SentEvents(page)
    page.goto(f"{server.url}/demo/invoices?visitor=pat")
    terms = page.get_by_role("alertdialog", name="Ledgerly terms of use")
    expect(terms).to_be_visible()
    terms.get_by_role("button", name="Accept").click()
    rules = page.get_by_role("alertdialog", name="Umbrella Corp: customer data rules")
    expect(rules).to_be_visible()
    screen = rules.evaluate(_ON_SCREEN)
    rules.get_by_role("button", name="Decline").click()
    expect(rules).to_have_count(0)
    [declined] = _wait_evidence(page, server, "umbrella-data-rules", 1, visitor="pat")  # not the history's
    assert (declined["visitor"], declined["tenant"], declined["decision"]) == ("pat", "umbrella", "declined")
    assert declined["text_hash"] == text_hash(*screen)
    [accepted] = _wait_evidence(page, server, "terms-of-use", 1, visitor="pat")
    assert (accepted["visitor"], accepted["tenant"], accepted["decision"]) == ("pat", "umbrella", "accepted")
    verified = httpx.get(f"{server.url}/api/v1/policies/verify", headers=_auth(server), timeout=10).json()
    assert verified["intact"] is True and verified["records"] >= 2
    since = sent.now()
    page.reload()
    sent.wait_decided(since)
    expect(page.get_by_role("alertdialog")).to_have_count(0)
