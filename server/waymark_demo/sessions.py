"""One visitor's day in Ledgerly as the widget records it: page views, clicks, visible time and track events.

Each tenant has habits of its own (how often its people export, send, open settings …), so feature
adoption and time in app differ between tenants as they do between real customers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from waymark.events.schemas import AnyEvent, ClickEvent, Element, PageEvent, TimeEvent, TrackEvent
from waymark_demo.population import DemoTenant, DemoVisitor
from waymark_demo.synthetic import ELEMENTS

__all__ = ["BASE_URL", "Habits", "session_events"]

BASE_URL = "http://127.0.0.1:8000"
_INVOICES = ("INV-1001", "INV-1002", "INV-1003", "INV-1004")
_LINK_PATH = "main#main > table#invoice-table > tbody > tr > td > a"


@dataclass(frozen=True, slots=True)
class Habits:
    """How a tenant's people use Ledgerly: the chance of each thing in a visit."""

    new_invoice: float
    search: float
    export: float
    help: float
    open_invoice: float
    send: float
    pdf: float
    settings: float
    save_settings: float
    team: float
    visits: tuple[int, ...]
    """How many visits an active day has (drawn from these)."""

    @classmethod
    def of(cls, tenant: DemoTenant) -> Habits:
        rng = random.Random(f"habits:{tenant.id}")
        u = rng.uniform
        busy = tenant.engagement > 0.6
        return cls(new_invoice=u(0.2, 0.6), search=u(0.2, 0.6), export=u(0.03, 0.45), help=u(0.01, 0.08),
                   open_invoice=u(0.5, 0.9), send=u(0.15, 0.55), pdf=u(0.05, 0.35), settings=u(0.08, 0.35),
                   save_settings=u(0.25, 0.55), team=u(0.1, 0.4), visits=(1, 1, 2) if busy else (1,))


class _Day:
    """Collects one visitor-day's events with ids fixed by the day and their order in it."""

    def __init__(self, visitor: DemoVisitor, day: date, start: datetime) -> None:
        self.visitor, self.tenant = visitor.id, visitor.tenant.id
        self.prefix = f"dh{day:%y%m%d}-{visitor.id}-"
        self.t = start
        self.events: list[AnyEvent] = []

    def _base(self, path: str) -> dict[str, Any]:
        return {"id": f"{self.prefix}{len(self.events):03d}", "ts": self.t, "visitor": self.visitor,
                "tenant": self.tenant, "url": BASE_URL + path}

    def page(self, path: str, title: str) -> None:
        self.events.append(PageEvent(**self._base(path), title=title))

    def click(self, path: str, element: dict[str, Any]) -> None:
        self.events.append(ClickEvent(**self._base(path), element=Element(**element)))

    def track(self, path: str, name: str) -> None:
        self.events.append(TrackEvent(**self._base(path), name=name))

    def time(self, path: str, ms: int) -> None:
        self.events.append(TimeEvent(**self._base(path), ms=ms))

    def wait(self, rng: random.Random, low: float = 2.0, high: float = 30.0) -> float:
        seconds = rng.uniform(low, high)
        self.t += timedelta(seconds=seconds)
        return seconds


def _timed(day: _Day, rng: random.Random, path: str, low: float, high: float) -> None:
    """Stay on ``path`` a while, then report the visible time as the widget does when leaving."""
    stayed = day.wait(rng, low, high)
    day.time(path, int(stayed * 1000))


def _visit(day: _Day, rng: random.Random, habits: Habits) -> None:
    r = rng.random
    day.page("/demo/invoices", "Invoices")
    day.wait(rng, 1, 8)
    for name, chance in (("invoice-search", habits.search), ("new-invoice", habits.new_invoice),
                         ("export-csv", habits.export), ("help-button", habits.help)):
        if r() < chance:
            day.click("/demo/invoices", ELEMENTS[name])
            day.wait(rng, 2, 20)
    _timed(day, rng, "/demo/invoices", 5, 90)
    for _ in range(rng.choice((1, 1, 2)) if r() < habits.open_invoice else 0):
        number = rng.choice(_INVOICES)
        day.click("/demo/invoices", {"tag": "a", "path": _LINK_PATH, "text": number})
        path = f"/demo/invoices/{number}"
        day.page(path, number)
        day.wait(rng, 2, 15)
        if r() < habits.send:
            day.click(path, ELEMENTS["send-invoice"])
            day.track(path, "invoice_sent")
            day.wait(rng, 1, 10)
        if r() < habits.pdf:
            day.click(path, ELEMENTS["download-pdf"])
            day.wait(rng, 1, 10)
        _timed(day, rng, path, 5, 120)
        day.page("/demo/invoices", "Invoices")
        day.wait(rng, 1, 5)
    if r() < habits.settings:
        day.click("/demo/invoices", ELEMENTS["nav-settings"])
        day.page("/demo/settings", "Settings")
        day.wait(rng, 3, 25)
        if r() < habits.save_settings:
            day.click("/demo/settings", ELEMENTS["save-settings"])
            day.track("/demo/settings", "settings_saved")
        if r() < habits.team:
            day.click("/demo/settings", ELEMENTS["tab-team"])
            day.page("/demo/settings/team", "Settings")
            _timed(day, rng, "/demo/settings/team", 5, 60)
        else:
            _timed(day, rng, "/demo/settings", 5, 60)


def session_events(rng: random.Random, habits: Habits, visitor: DemoVisitor, day: date,
                   start: datetime) -> list[AnyEvent]:
    """The visitor's visits of ``day`` from ``start``, an hour or more apart, all within the day."""
    collected = _Day(visitor, day, start)
    for n in range(rng.choice(habits.visits)):
        if n:
            collected.wait(rng, 3600, 3 * 3600)
        if collected.t.date() != day:
            break
        _visit(collected, rng, habits)
    return [e for e in collected.events if e.ts.date() == day]
