"""NPS surveys and polls in Chromium: answered by keyboard alone and by mouse, the exact events the widget sends,
a dismissal that is not an answer, polls inside a walkthrough, and the server's reports counting the answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from e2e.conftest import ROOT, Server
from e2e.support import new_visitor, posts, record_posts, wait_until

QUESTION = "How likely are you to recommend Ledgerly to a friend or colleague?"


def _auth(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.secret_key}"}


def _push_survey_for(server: Server, visitor: str) -> str:
    """The demo's NPS survey as a guide of its own that asks only ``visitor``: each test starts afresh."""
    guide_id = f"nps-{visitor}"
    content = (ROOT / "guides" / "nps-survey.yaml").read_text()
    content = content.replace("id: nps-survey", f"id: {guide_id}").replace("value: nina", f"value: {visitor}")
    pushed = httpx.post(f"{server.url}/api/v1/guide-definitions/push", headers=_auth(server),
                        json={"files": [{"name": f"{guide_id}.yaml", "content": content}]}, timeout=10)
    assert pushed.status_code == 200, pushed.text
    return guide_id


def _sent(page: Page, types: tuple[str, ...]) -> list[dict[str, Any]]:
    """The events of these types this page load posted, in order, without what the widget makes up (id, ts)."""
    out = []
    for post in posts(page):
        for ev in json.loads(post["body"])["events"]:
            if ev["type"] in types:
                assert isinstance(ev.pop("id"), str) and isinstance(ev.pop("ts"), str), ev
                out.append(ev)
    return out


def _wait_sent(page: Page, count: int, *types: str) -> list[dict[str, Any]]:
    """Wait until ``count`` events of these types have left the page and every events request settled."""
    wait_until(page, lambda: len(_sent(page, types)) >= count and all(p["done"] for p in posts(page)))
    found = _sent(page, types)
    assert len(found) == count, found
    return found


def _report(page: Page, server: Server, path: str, guide: str, until: Callable[[dict[str, Any]], bool]) -> dict[
        str, Any]:
    """A survey report of today once ``until`` holds for it (the answers were stored and tallied), else the last one
    read. Today only: the demo's seeded history (which ends yesterday) answers these surveys too."""
    last: dict[str, Any] = {}
    today = datetime.now(UTC).date().isoformat()

    def read() -> bool:
        got = httpx.get(f"{server.url}/api/v1/reports/{path}", params={"guide": guide, "from": today, "to": today},
                        headers=_auth(server), timeout=10)
        assert got.status_code == 200, got.text
        last.update(got.json())
        return until(last)

    wait_until(page, read)
    return last


def _scale(dialog: Locator) -> Locator:
    return dialog.get_by_role("radiogroup", name=QUESTION)


def test_nps_answered_by_mouse_with_a_comment(page: Page, server: Server) -> None:
    """The demo's own survey, as visitor nina gets it on the invoices list."""
    record_posts(page)
    page.goto(f"{server.url}/demo/invoices?visitor=nina")
    survey = page.get_by_role("dialog", name=QUESTION)
    expect(survey).to_be_visible()
    scale = _scale(survey)
    expect(scale.get_by_role("radio")).to_have_count(11)
    expect(scale.get_by_role("radio", name="0", exact=True)).to_have_accessible_description("Not at all likely")
    expect(scale.get_by_role("radio", name="10", exact=True)).to_have_accessible_description("Extremely likely")
    expect(survey.get_by_role("textbox")).to_have_count(0)  # the follow-up comes with a score

    scale.get_by_role("radio", name="3", exact=True).click()
    expect(survey.get_by_role("textbox", name="What disappointed you?")).to_be_visible()
    scale.get_by_role("radio", name="9", exact=True).click()  # changed their mind: the question follows
    comment = survey.get_by_role("textbox", name="What do you like most?")
    expect(comment).to_have_attribute("maxlength", "1000")
    comment.fill("<b>Fast</b> PDFs & clear totals")
    survey.get_by_role("button", name="Submit").click()
    expect(survey).to_have_count(0)

    answer, completed = _wait_sent(page, 2, "nps_response", "guide_completed", "guide_dismissed")
    version = answer["guide_version"]
    url = f"{server.url}/demo/invoices?visitor=nina"
    assert answer == {"type": "nps_response", "guide": "nps-survey", "guide_version": version, "score": 9,
                      "comment": "<b>Fast</b> PDFs & clear totals", "url": url, "visitor": "nina",
                      "tenant": "initech"}
    assert isinstance(version, int) and version >= 1
    assert completed == {"type": "guide_completed", "guide": "nps-survey", "guide_version": version, "step": 0,
                         "props": {}, "url": url, "visitor": "nina", "tenant": "initech"}

    report = _report(page, server, "nps", "nps-survey", lambda r: r["responses"] >= 1)
    assert (report["responses"], report["promoters"], report["detractors"], report["score"]) == (1, 1, 0, 100.0)
    assert report["shown"] == 1 and report["response_rate"] == 1.0
    comments = _report(page, server, "nps/comments", "nps-survey", lambda r: bool(r["comments"]))["comments"]
    assert [(c["visitor"], c["tenant"], c["score"], c["category"], c["comment"]) for c in comments] == [
        ("nina", "initech", 9, "promoter", "<b>Fast</b> PDFs & clear totals")]


def test_nps_answered_by_keyboard_alone(page: Page, server: Server) -> None:
    visitor = new_visitor("nps")
    guide = _push_survey_for(server, visitor)
    record_posts(page)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    survey = page.get_by_role("dialog", name=QUESTION)
    scale = _scale(survey)
    radio = {n: scale.get_by_role("radio", name=str(n), exact=True) for n in (0, 1, 8)}
    submit = survey.get_by_role("button", name="Submit")
    later = survey.get_by_role("button", name="Remind me later")
    expect(submit).to_be_focused()

    page.keyboard.press("Enter")  # no score yet: nothing is sent, the scale says why and takes focus
    expect(survey.get_by_role("alert")).to_have_text("Choose a score from 0 to 10.")
    expect(radio[0]).to_be_focused()
    # Tab goes round the dialog; the scale is one stop, the hidden comment box none.
    for expected in (later, submit, survey.get_by_role("button", name="Close"), radio[0]):
        page.keyboard.press("Tab")
        expect(expected).to_be_focused()
    page.keyboard.press("Space")
    expect(radio[0]).to_be_checked()
    expect(survey.get_by_role("textbox", name="What disappointed you?")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(radio[1]).to_be_checked()
    expect(radio[1]).to_be_focused()
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    expect(radio[8]).to_be_checked()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(radio[8]).to_be_focused()  # back into the group: its checked radio
    page.keyboard.press("Tab")
    comment = survey.get_by_role("textbox", name="What would make it a 10?")
    expect(comment).to_be_focused()
    page.keyboard.type("Recurring invoices")
    page.keyboard.press("Tab")
    expect(later).to_be_focused()
    page.keyboard.press("Tab")
    expect(submit).to_be_focused()
    page.keyboard.press("Enter")
    expect(survey).to_have_count(0)

    answer, completed = _wait_sent(page, 2, "nps_response", "guide_completed", "guide_dismissed")
    url = f"{server.url}/demo/invoices?visitor={visitor}"
    assert answer == {"type": "nps_response", "guide": guide, "guide_version": 1, "score": 8,
                      "comment": "Recurring invoices", "url": url, "visitor": visitor, "tenant": "demo-co"}
    assert (completed["type"], completed["guide"], completed["step"]) == ("guide_completed", guide, 0)
    report = _report(page, server, "nps", guide, lambda r: r["responses"] >= 1)
    assert (report["responses"], report["passives"], report["score"]) == (1, 1, 0.0)


def test_closing_the_survey_is_not_an_answer(page: Page, server: Server) -> None:
    visitor = new_visitor("nps")
    guide = _push_survey_for(server, visitor)
    record_posts(page)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    survey = page.get_by_role("dialog", name=QUESTION)
    _scale(survey).get_by_role("radio", name="2", exact=True).click()  # chosen, never submitted
    survey.get_by_role("button", name="Close").click()
    expect(survey).to_have_count(0)

    [dismissed] = _wait_sent(page, 1, "nps_response", "guide_dismissed", "guide_completed")
    assert (dismissed["type"], dismissed["guide"], dismissed["step"]) == ("guide_dismissed", guide, 0)
    report = _report(page, server, "nps", guide, lambda r: r["shown"] >= 1)
    assert (report["shown"], report["responses"], report["score"], report["response_rate"]) == (1, 0, None, 0.0)


def test_polls_answered_inside_a_walkthrough(page: Page, server: Server) -> None:
    """The demo's walkthrough with polls, as visitor nina gets it on the settings page."""
    record_posts(page)
    page.goto(f"{server.url}/demo/settings?visitor=nina")
    intro = page.get_by_role("dialog", name="Two quick questions")
    expect(intro).to_contain_text("1 of 3")
    intro.get_by_role("button", name="Next").click()

    choice = page.get_by_role("dialog", name="What would you like to set up next?")
    options = choice.get_by_role("radiogroup", name="What would you like to set up next?").get_by_role("radio")
    expect(options).to_have_count(3)
    choice.get_by_role("radio", name="Payment reminders").check()
    choice.get_by_role("button", name="Next").click()

    rating = page.get_by_role("dialog", name="How easy is Settings to use?")
    expect(rating.get_by_role("radiogroup", name="How easy is Settings to use?").get_by_role("radio")).to_have_count(5)
    rating.get_by_role("radio", name="4", exact=True).check()
    rating.get_by_role("button", name="Submit").click()
    expect(rating).to_have_count(0)

    answers = _wait_sent(page, 3, "poll_response", "guide_completed")
    url = f"{server.url}/demo/settings?visitor=nina"
    base = {"type": "poll_response", "guide": "settings-poll", "url": url, "visitor": "nina", "tenant": "initech"}
    version = answers[0]["guide_version"]
    assert answers == [
        {**base, "guide_version": version, "step": 1, "question": "next-setting", "choices": ["reminders"]},
        {**base, "guide_version": version, "step": 2, "question": "ease", "rating": 4},
        {**base, "type": "guide_completed", "guide_version": version, "step": 2, "props": {}},
    ]
    report = _report(page, server, "polls", "settings-poll",
                      lambda r: sum(q["responses"] for q in r["questions"]) >= 2)
    results = {q["question"]: q for q in report["questions"]}
    assert [(o["id"], o["count"]) for o in results["next-setting"]["options"]] == [
        ("approvals", 0), ("reminders", 1), ("branding", 0)]
    assert (results["ease"]["responses"], results["ease"]["mean"]) == (1, 4.0)


def test_multiple_choice_and_free_text_polls(page: Page, server: Server) -> None:
    visitor = new_visitor("poll")
    guide = f"polls-{visitor}"
    content = (
        f"id: {guide}\nname: Polls\nkind: walkthrough\npriority: 900\nignore_throttle: true\n"
        f"targeting:\n  pages: ['/demo/settings/team']\n  segment: {{field: visitor.id, op: eq, value: {visitor}}}\n"
        "steps:\n"
        "  - {type: poll, title: 'What do you use?', question: uses, input: multiple,\n"
        "     options: [{id: invoices, label: Invoices}, {id: reports, label: Reports}, {id: api, label: API}]}\n"
        "  - {type: poll, title: 'Anything else?', question: more, input: text, max_length: 20}\n"
    )
    pushed = httpx.post(f"{server.url}/api/v1/guide-definitions/push", headers=_auth(server),
                        json={"files": [{"name": f"{guide}.yaml", "content": content}]}, timeout=10)
    assert pushed.status_code == 200, pushed.text
    record_posts(page)
    page.goto(f"{server.url}/demo/settings/team?visitor={visitor}")
    uses = page.get_by_role("dialog", name="What do you use?")
    boxes = uses.get_by_role("group", name="What do you use?").get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    uses.get_by_role("checkbox", name="Invoices").check()
    uses.get_by_role("checkbox", name="API").check()
    uses.get_by_role("button", name="Next").click()
    more = page.get_by_role("dialog", name="Anything else?")
    text = more.get_by_role("textbox", name="Anything else?")
    text.press_sequentially("  <i>dark</i> mode please, and more  ")  # longer than max_length: the box stops it
    expect(text).to_have_value("  <i>dark</i> mode p")
    more.get_by_role("button", name="Submit").click()
    expect(more).to_have_count(0)

    answers = _wait_sent(page, 2, "poll_response")
    assert [{k: a[k] for k in ("guide", "step", "question") if k in a} | {
        k: a[k] for k in ("choices", "rating", "text") if k in a} for a in answers] == [
        {"guide": guide, "step": 0, "question": "uses", "choices": ["invoices", "api"]},
        {"guide": guide, "step": 1, "question": "more", "text": "<i>dark</i> mode p"},
    ]
    report = _report(page, server, "polls", guide, lambda r: sum(q["responses"] for q in r["questions"]) >= 2)
    results = {q["question"]: q for q in report["questions"]}
    assert [(o["id"], o["count"], o["share"]) for o in results["uses"]["options"]] == [
        ("invoices", 1, 1.0), ("reports", 0, 0.0), ("api", 1, 1.0)]
    assert [t["text"] for t in results["more"]["texts"]] == ["<i>dark</i> mode p"]
