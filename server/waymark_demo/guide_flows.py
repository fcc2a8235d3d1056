"""What the demo's guides did with one visitor over the weeks: tours taken or dropped, tips, answers, decisions.

Every event a visitor's guides send once has an id made of the visitor, the guide and its place in that
guide's story, so the same story planned again is stored once. Outcomes draw from the visitor's own
generator, so they do not depend on the day's usage.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from waymark.events.schemas import (
    AnyEvent,
    ClickEvent,
    Element,
    GuideAnchorMissing,
    GuideCompleted,
    GuideDismissed,
    GuideSeen,
    GuideSnoozed,
    GuideStepAdvanced,
    NpsResponse,
    PageEvent,
    PollResponse,
    TrackEvent,
)
from waymark.guides.sampling import in_sample
from waymark_demo.population import DemoVisitor
from waymark_demo.sessions import BASE_URL
from waymark_demo.synthetic import ELEMENTS

__all__ = ["GuideFlows", "Held", "PolicyRule"]

_COMMENTS = {
    "promoter": ("Sending an invoice takes seconds.", "The invoice list is clear and fast.",
                 "Exports are exactly what our accountant wants.", "Support answered within the hour."),
    "passive": ("Good, but I miss recurring invoices.", "Search could find customers by VAT number.",
                "Fine overall; the PDF layout is a bit plain.", "Reminders would make it a 10."),
    "detractor": ("Too many clicks to send one invoice.", "The export broke our spreadsheet macros.",
                  "It was slow at month end.", "I could not find where to change our logo."),
}
_WALK_STEPS = 5
_DETAIL = "/demo/invoices/INV-1001"


class Held(NamedTuple):
    """A visitor held out of a guide: delivery would have recorded it when the guide could first have shown."""

    guide: str
    visitor: str
    tenant: str
    when: datetime


class PolicyRule(NamedTuple):
    """A published policy as decisions need it."""

    id: str
    tenant: str | None
    """Only this tenant's people are asked (None: everyone)."""
    allow_decline: bool


class GuideFlows:
    """One visitor's guides, told day by day (``day`` is called for each active day, in order)."""

    def __init__(self, visitor: DemoVisitor, versions: Mapping[str, int], policies: Sequence[PolicyRule],
                 holdouts: Mapping[str, tuple[float, bool]]) -> None:
        self.visitor = visitor
        self.versions = versions
        self.holdouts = holdouts
        """Guide id → (held-out share, by tenant), as the published guides say."""
        self.held: list[Held] = []
        self.policies = [p for p in policies if p.tenant in (None, visitor.tenant.id)]
        self.rng = random.Random(f"guides:{visitor.id}")
        self.done: set[str] = set()
        self.counters: dict[str, int] = {}
        self.events: list[AnyEvent] = []
        self.snoozed_tour = False

    # --- writing events -----------------------------------------------------------------------------------

    def _emit(self, cls: Callable[..., AnyEvent], guide: str, ts: datetime, path: str, step: int = 0,
              props: dict[str, Any] | None = None, **extra: Any) -> None:
        n = self.counters.get(guide, 0)
        self.counters[guide] = n + 1
        v = self.visitor
        self.events.append(cls(id=f"dg-{v.id}-{guide}-{n:02d}", ts=ts, visitor=v.id, tenant=v.tenant.id,
                               url=BASE_URL + path, guide=guide, guide_version=self.versions[guide], step=step,
                               props=props or {}, **extra))

    def _later(self, ts: datetime, low: float = 2.0, high: float = 20.0) -> datetime:
        return ts + timedelta(seconds=self.rng.uniform(low, high))

    def _shown(self, guide: str) -> bool:
        return guide in self.versions and guide not in self.done

    # --- one active day -----------------------------------------------------------------------------------

    def day(self, active_day: int, session: Sequence[AnyEvent]) -> tuple[list[AnyEvent], list[tuple[Any, ...]]]:
        """The guide events of this visitor-day (given its usage) and the decisions made in it."""
        self.events = []
        decisions: list[tuple[Any, ...]] = []
        pages = [e for e in session if isinstance(e, PageEvent)]
        start = pages[0].ts
        for rule in self.policies:
            if rule.id in self.done or rule.id not in self.versions:
                continue
            if self.rng.random() < (0.07 if active_day == 1 else 0.0):  # never decides: stays pending
                self.done.add(rule.id)
                continue
            if active_day == 1 and self.rng.random() < 0.3:
                continue  # closed the prompt today; asked again on the next visit
            self.done.add(rule.id)
            decision = "declined" if rule.allow_decline and self.rng.random() < 0.25 else "accepted"
            v = self.visitor
            decisions.append((f"demo-{v.id}-{rule.id}", self._later(start, 1, 4), v.tenant.id, v.id, v.locale,
                              rule.id, decision, BASE_URL + "/demo/invoices"))
        if active_day == 1 or self.snoozed_tour:
            self._welcome_tour(self._later(start, 5, 9))
        elif active_day >= 2:
            if self.visitor.role == "admin" and self._shown("admin-announcement"):
                self._once("admin-announcement", self._later(start, 5, 9), "/demo/invoices", 0.7)
            elif self._shown("export-tip") and self.rng.random() < 0.6:
                self._once("export-tip", self._later(start, 5, 9), "/demo/invoices", 0.65)
        if active_day >= 3 and self._shown("nps-survey") and self.rng.random() < 0.2:
            self._nps(self._later(start, 10, 40))
        for page in pages:
            if page.url and page.url.endswith("/demo/settings"):
                self._settings(page.ts)
                break
        detail = next((p for p in pages if p.url and "/demo/invoices/INV-" in p.url), None)
        if active_day >= 2 and detail is not None and self._shown("send-tip"):
            self._send_tip(detail)
        for click in (e for e in session if isinstance(e, ClickEvent) and e.element.id == "help-button"):
            if self._shown("help-tooltip"):
                self._once("help-tooltip", self._later(click.ts, 0.2, 0.5), "/demo/invoices", 0.8, trigger="click")
        return self.events, decisions

    def _send_tip(self, page: PageEvent) -> None:
        """Held out (recorded, never shown), or shown; some who see it send the invoice there and then."""
        guide, v = "send-tip", self.visitor
        self.done.add(guide)
        share, by_tenant = self.holdouts.get(guide, (0.0, False))
        unit = f"tenant:{v.tenant.id}" if by_tenant else f"visitor:{v.id}"
        path = (page.url or "").removeprefix(BASE_URL)
        if in_sample(f"holdout:{guide}", unit, share):
            self.held.append(Held(guide, v.id, v.tenant.id, page.ts))
            return
        self._once(guide, self._later(page.ts, 1, 3), path, 0.7)
        if self.rng.random() < 0.5:  # what the tip is for
            ts = self._later(self.events[-1].ts, 1, 6)
            n = self.counters[guide]
            self.events.append(ClickEvent(id=f"dg-{v.id}-{guide}-{n:02d}", ts=ts, visitor=v.id, tenant=v.tenant.id,
                                          url=page.url, element=Element(**ELEMENTS["send-invoice"])))
            self.events.append(TrackEvent(id=f"dg-{v.id}-{guide}-{n + 1:02d}", ts=ts, visitor=v.id,
                                          tenant=v.tenant.id, url=page.url, name="invoice_sent"))
            self.counters[guide] = n + 2

    def _once(self, guide: str, ts: datetime, path: str, completes: float, trigger: str = "auto") -> None:
        self._emit(GuideSeen, guide, ts, path, props={"trigger": trigger})
        self.done.add(guide)
        closed = GuideCompleted if self.rng.random() < completes else GuideDismissed
        self._emit(closed, guide, self._later(ts, 3, 15), path)

    def _welcome_tour(self, ts: datetime) -> None:
        guide = "welcome-tour"
        if not self._shown(guide):
            return
        self._emit(GuideSeen, guide, ts, "/demo/invoices", props={"trigger": "auto"})
        r = self.rng.random()
        if r < 0.12 and not self.snoozed_tour:
            self.snoozed_tour = True
            self._emit(GuideSnoozed, guide, self._later(ts), "/demo/invoices", props={"days": 1})
            return
        self.snoozed_tour = False
        self.done.add(guide)
        last = _WALK_STEPS - 1 if r < 0.7 else self.rng.randrange(0, _WALK_STEPS - 1)
        for step in range(1, last + 1):
            ts = self._later(ts, 4, 25)
            self._emit(GuideStepAdvanced, guide, ts, _DETAIL if step >= 3 else "/demo/invoices", step,
                       props={"from": step - 1})
            if step == 3 and self.rng.random() < 0.08:
                ts = self._later(ts, 5, 6)
                self._emit(GuideAnchorMissing, guide, ts, _DETAIL, step,
                           props={"anchor": "#send-invoice", "waited_ms": 5000})
                self._emit(GuideDismissed, guide, self._later(ts, 1, 5), _DETAIL, step)
                return
        path = _DETAIL if last >= 3 else "/demo/invoices"
        done = GuideCompleted if last == _WALK_STEPS - 1 else GuideDismissed
        self._emit(done, guide, self._later(ts, 3, 15), path, last)

    def _nps(self, ts: datetime) -> None:
        guide = "nps-survey"
        self.done.add(guide)
        self._emit(GuideSeen, guide, ts, "/demo/invoices", props={"trigger": "auto"})
        if self.rng.random() >= 0.72:
            self._emit(GuideDismissed, guide, self._later(ts), "/demo/invoices")
            return
        score = max(0, min(10, round(self.rng.gauss(self.visitor.tenant.mood, 1.7))))
        category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        comment = self.rng.choice(_COMMENTS[category]) if self.rng.random() < 0.45 else None
        ts = self._later(ts, 4, 40)
        self._emit(NpsResponse, guide, ts, "/demo/invoices", score=score, comment=comment)
        self._emit(GuideCompleted, guide, self._later(ts, 0.1, 0.5), "/demo/invoices")

    def _settings(self, ts: datetime) -> None:
        if self._shown("settings-banner"):
            self._emit(GuideSeen, "settings-banner", self._later(ts, 0.5, 1), "/demo/settings",
                       props={"trigger": "auto"})
            if self.rng.random() < 0.6:
                self.done.add("settings-banner")
                self._emit(GuideCompleted, "settings-banner", self._later(ts, 3, 12), "/demo/settings")
        guide = "settings-poll"
        if not self._shown(guide) or self.rng.random() >= 0.45:
            return
        self.done.add(guide)
        ts = self._later(ts, 2, 5)
        self._emit(GuideSeen, guide, ts, "/demo/settings", props={"trigger": "auto"})
        if self.rng.random() < 0.15:
            self._emit(GuideDismissed, guide, self._later(ts), "/demo/settings")
            return
        ts = self._later(ts, 3, 10)
        self._emit(GuideStepAdvanced, guide, ts, "/demo/settings", 1, props={"from": 0})
        choice = self.rng.choices(("approvals", "reminders", "branding"), (45, 35, 20))[0]
        ts = self._later(ts, 3, 15)
        self._emit(PollResponse, guide, ts, "/demo/settings", 1, question="next-setting", choices=[choice])
        self._emit(GuideStepAdvanced, guide, self._later(ts, 0.1, 0.3), "/demo/settings", 2, props={"from": 1})
        ts = self._later(ts, 3, 12)
        rating = self.rng.choices((1, 2, 3, 4, 5), (5, 10, 25, 35, 25))[0]
        self._emit(PollResponse, guide, ts, "/demo/settings", 2, question="ease", rating=rating)
        self._emit(GuideCompleted, guide, self._later(ts, 0.1, 0.3), "/demo/settings", 2)
