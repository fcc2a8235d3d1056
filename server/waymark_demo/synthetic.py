"""Synthetic usage of the demo app (Ledgerly): sessions of page views, clicks, visible time, track and
guide events, as the widget would send them, for the demo and the roll-up benchmark.

Deterministic: each (tenant, day) draws from its own seeded generator, so a tenant's month is the
same whether 100 thousand or 10 million events are generated around it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from waymark.analytics.bulk_event import BulkEvent
from waymark.events.schemas import (
    AnyEvent,
    ClickEvent,
    Element,
    GuideSeen,
    PageEvent,
    TimeEvent,
    TrackEvent,
)

__all__ = ["DEMO_TENANTS", "demo_events", "to_event"]

DEMO_TENANTS = ("acme", "globex", "initech")
_BASE = "http://127.0.0.1:8000"
_INVOICES = ("INV-1001", "INV-1002", "INV-1003", "INV-1004")
_ACTIONS = "main#main > div.page-head > div.actions > "


def _el(tag: str, path: str, text: str = "", id: str = "", classes: tuple[str, ...] = (),
        attrs: dict[str, str] | None = None) -> dict[str, Any]:
    return {"tag": tag, "id": id, "classes": list(classes), "attrs": attrs or {}, "text": text, "path": path}


ELEMENTS: dict[str, dict[str, Any]] = {
    "new-invoice": _el("button", _ACTIONS + "button#new-invoice", "New invoice", "new-invoice"),
    "export-csv": _el("button", _ACTIONS + "button#export-csv.secondary", "Export CSV", "export-csv", ("secondary",)),
    "invoice-search": _el("input", _ACTIONS + "input#invoice-search", "", "invoice-search"),
    "send-invoice": _el("button", _ACTIONS + "button#send-invoice", "Send invoice", "send-invoice"),
    "download-pdf": _el("button", _ACTIONS + "button#download-pdf.secondary", "Download PDF", "download-pdf",
                        ("secondary",)),
    "save-settings": _el("button", "main#main > section#tab-general.card > form#settings-form > button#save-settings",
                         "Save settings", "save-settings"),
    "tab-team": _el("a", "main#main > nav.tabs > a", "Team", attrs={"data-spa": "team"}),
    "help-button": _el("button", "header.topbar > button#help-button", "Help", "help-button"),
    "nav-settings": _el("a", "header.topbar > nav > a#nav-settings", "Settings", "nav-settings"),
    "nav-invoices": _el("a", "header.topbar > nav > a#nav-invoices", "Invoices", "nav-invoices"),
}


def _session(rng: random.Random, t: float) -> list[tuple[str, float, str, Any]]:
    """One visit starting ``t`` seconds into the day: the invoice list, often an invoice, sometimes settings.

    Each event is (type, seconds into the day, path, detail): the title of a page view, the element of
    a click, the milliseconds of a time event, the name of a track event, the id of a guide seen.
    """
    uniform, random_ = rng.uniform, rng.random
    out: list[tuple[str, float, str, Any]] = []
    add = out.append
    if random_() < 0.05:
        add(("guide_seen", t, "/demo/invoices", "welcome-tour"))
    add(("page", t, "/demo/invoices", "Invoices"))
    t += uniform(1.0, 25.0)
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        add(("click", t, "/demo/invoices", ELEMENTS[rng.choices(_LIST_CLICKS, _LIST_WEIGHTS)[0]]))
        t += uniform(1.0, 25.0)
    add(("time", t, "/demo/invoices", rng.randint(2_000, 90_000)))
    if random_() < 0.7:
        number = rng.choice(_INVOICES)
        add(("click", t, "/demo/invoices", _LINKS[number]))
        t += uniform(1.0, 25.0)
        page = "/demo/invoices/" + number
        add(("page", t, page, number))
        t += uniform(1.0, 25.0)
        if random_() < 0.35:
            add(("click", t, page, ELEMENTS["send-invoice"]))
            add(("track", t + 0.5, page, "invoice_sent"))
            t += uniform(1.0, 25.0)
        if random_() < 0.25:
            add(("click", t, page, ELEMENTS["download-pdf"]))
            t += uniform(1.0, 25.0)
        add(("time", t, page, rng.randint(2_000, 90_000)))
    if random_() < 0.3:
        add(("click", t, "/demo/invoices", ELEMENTS["nav-settings"]))
        t += uniform(1.0, 25.0)
        add(("page", t, "/demo/settings", "Settings"))
        t += uniform(1.0, 25.0)
        if random_() < 0.4:
            add(("click", t, "/demo/settings", ELEMENTS["save-settings"]))
            add(("track", t + 0.5, "/demo/settings", "settings_saved"))
            t += uniform(1.0, 25.0)
        if random_() < 0.3:
            add(("click", t, "/demo/settings", ELEMENTS["tab-team"]))
            t += uniform(1.0, 25.0)
            add(("page", t, "/demo/settings/team", "Settings"))
            t += uniform(1.0, 25.0)
        add(("time", t, "/demo/settings", rng.randint(2_000, 90_000)))
    return out


_LIST_CLICKS = ("new-invoice", "export-csv", "invoice-search", "help-button")
_LIST_WEIGHTS = (35, 15, 30, 5)
_LINKS = {n: _el("a", "main#main > table#invoice-table > tbody > tr > td > a", n) for n in _INVOICES}


def _tenant_name(index: int) -> str:
    return DEMO_TENANTS[index] if index < len(DEMO_TENANTS) else f"tenant-{index:05d}"


def _mean_session_length() -> float:
    rng = random.Random(0)
    return sum(len(_session(rng, 0.0)) for _ in range(400)) / 400


def demo_events(
    count: int, *, days: int = 90, end: date | None = None, visitors_per_tenant: int = 10,
    active_share: float = 0.5, seed: int = 1, id_prefix: str = "syn",
) -> Iterator[BulkEvent]:
    """``count`` events over the ``days`` UTC days ending ``end`` (default yesterday), day by day.

    The number of tenants follows ``count``: more events means more customers with the same
    habits, as a growing product sees; tenant ``acme`` is always the first.
    """
    end = end or datetime.now(UTC).date() - timedelta(days=1)
    first = end - timedelta(days=days - 1)
    per_tenant_day = visitors_per_tenant * active_share * _mean_session_length()
    # Too few rather than too many: the first tenants (acme first) get every day; more fill up the count.
    tenants = max(1, math.floor(count / (days * per_tenant_day * 1.05)))
    made = 0
    done_tenants = 0
    while made < count:
        for day_index in range(days):
            day_start = datetime(first.year, first.month, first.day) + timedelta(days=day_index)
            for t in range(done_tenants, done_tenants + tenants):
                tenant = _tenant_name(t)
                rng = random.Random(f"{seed}:{t}:{day_index}")
                for v in range(visitors_per_tenant):
                    if rng.random() >= active_share:
                        continue
                    visitor = f"{tenant}-u{v:02d}"
                    for kind, seconds, path, detail in _session(rng, rng.uniform(6 * 3600, 18 * 3600)):
                        if seconds >= 86400:
                            continue
                        ts = day_start + timedelta(seconds=seconds)
                        url = _BASE + path
                        event_id = f"{id_prefix}-{made:010d}"
                        if kind == "click":
                            yield BulkEvent(event_id, kind, ts, visitor, tenant, url, None, None, detail)
                        elif kind == "page":
                            yield BulkEvent(event_id, kind, ts, visitor, tenant, url, None, None, None, 0, detail)
                        elif kind == "time":
                            yield BulkEvent(event_id, kind, ts, visitor, tenant, url, None, None, None, detail)
                        elif kind == "track":
                            yield BulkEvent(event_id, kind, ts, visitor, tenant, url, detail)
                        else:
                            yield BulkEvent(event_id, kind, ts, visitor, tenant, url, None, detail)
                        made += 1
                        if made >= count:
                            return
        done_tenants += tenants
        tenants = max(1, tenants // 4)  # the estimate fell short: a few more tenants


def to_event(s: BulkEvent) -> AnyEvent:
    """The event as the ingestion pipeline would hand it to ``write_events``."""
    ts = s.ts.replace(tzinfo=UTC)
    base: dict[str, Any] = {"id": s.event_id, "ts": ts, "visitor": s.visitor, "tenant": s.tenant, "url": s.url}
    if s.type == "page":
        return PageEvent(**base, title=s.title)
    if s.type == "click":
        return ClickEvent(**base, element=Element(**(s.element or {"tag": "div"})))
    if s.type == "time":
        return TimeEvent(**base, ms=s.ms)
    if s.type == "track":
        return TrackEvent(**base, name=s.name or "event")
    return GuideSeen(**base, guide=s.guide or "guide", props={"trigger": "auto"})
