"""Turning a validated guide definition into what delivery evaluates and sends, done once per publish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from waymark.guides.content import Node, compile_body
from waymark.guides.kinds.policy_rules import policy_json, policy_segment
from waymark.guides.kinds.survey_plan import SurveyPlan
from waymark.guides.kinds.survey_steps import survey_step_json
from waymark.guides.schemas import BannerStep, GuideFile, NpsStep, PageRule, PageRuleSpec, PollStep, Text, TooltipStep
from waymark.guides.targeting import (
    PageMatcher,
    Predicate,
    UrlParts,
    cohort_refs,
    compile_page_rule,
    compile_rule,
    locale_allowed,
    pick_locale,
)

__all__ = ["CompiledGuide", "compile_guide"]

_DEFAULT_BUTTONS: dict[str, str] = {
    "next": "Next", "back": "Back", "done": "Done", "snooze": "Remind me later",
}
_MAX_LOCALE_CACHE = 64


def _page_json(spec: PageRuleSpec | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    rule = PageRule(path=spec) if isinstance(spec, str) else spec
    return _compact({"path": rule.path, "host": rule.host, "query": dict(rule.query)}, keep=())


def _step_pages(guide: GuideFile) -> list[Any]:
    """The page of each step as the widget gets it. In a walkthrough a step without one is on the previous step's
    page, and the first step on the guide's own pages (a list when there are several), unless the JS API starts it."""
    pages = [_page_json(step.page) for step in guide.steps]
    if guide.kind != "walkthrough" or len(pages) < 2:
        return pages
    rules = [_page_json(p) for p in guide.targeting.pages or ()] if guide.activation.mode != "api" else []
    inherited: Any = rules[0] if len(rules) == 1 else rules or None
    for i, page in enumerate(pages):
        pages[i] = inherited = page if page is not None else inherited
    return pages


class CompiledGuide:
    """One published guide, precompiled: matchers, predicates and per-locale JSON."""

    __slots__ = (
        "_bodies",
        "_encoded",
        "cohorts",
        "definition",
        "frequency_days",
        "frequency_mode",
        "holdout",
        "id",
        "ignore_throttle",
        "kind",
        "mode",
        "only_locales",
        "page_key",
        "pages",
        "priority",
        "schedule_end",
        "schedule_start",
        "segment",
        "snooze_days",
        "start_page",
        "survey",
        "throttle_seconds",
        "version",
    )

    def __init__(self, guide: GuideFile, version: int) -> None:
        self.definition = guide
        self.id = guide.id
        self.version = version
        self.kind = guide.kind
        self.priority = guide.priority
        self.mode = guide.activation.mode
        self.frequency_mode = guide.frequency.mode
        self.frequency_days = guide.frequency.days
        self.snooze_days = guide.snooze_days
        self.ignore_throttle = guide.ignore_throttle
        self.throttle_seconds = guide.throttle_seconds
        """This guide's own interval after the last automatic guide (None: the app's)."""
        self.holdout: tuple[float, bool] | None = (
            (guide.hold_out.share, guide.hold_out.unit == "tenant") if guide.hold_out else None
        )
        """(share, by tenant) of eligible visitors who never get the guide (see waymark.holdouts)."""
        self.only_locales = guide.locales.only if guide.locales else None
        targeting = guide.targeting
        self.pages: tuple[PageMatcher, ...] | None = (
            tuple(compile_page_rule(p) for p in targeting.pages) if targeting.pages else None
        )
        first_page = guide.steps[0].page
        self.start_page: PageMatcher | None = compile_page_rule(first_page) if first_page else None
        self.page_key = msgspec.json.encode([targeting.pages, first_page])
        """Equal for guides that start on the same pages: delivery tests each distinct rule once."""
        self.segment: Predicate | None = compile_rule(targeting.segment) if targeting.segment else None
        self.cohorts = frozenset(cohort_id for _, cohort_id in cohort_refs(targeting.segment))
        """The cohorts its segment names: delivery reads the visitor's cohorts only for apps that have such guides."""
        if guide.policy is not None:  # a tenant's own policy asks only its visitors; it skips the budget
            self.segment = policy_segment(guide.policy, self.segment)
            self.ignore_throttle = guide.ignore_throttle or not guide.policy.respect_budget
        schedule = targeting.schedule
        self.schedule_start: datetime | None = schedule.start if schedule else None
        self.schedule_end: datetime | None = schedule.end if schedule else None
        self._bodies: dict[str, list[Node]] = {}
        self._encoded: dict[str, bytes] = {}
        self.survey: SurveyPlan | None = (
            SurveyPlan(guide.id, guide.survey, guide.snooze_days, self.schedule_start) if guide.kind == "nps" else None
        )
        """Sample, re-survey interval and spread of an NPS survey (see waymark.guides.kinds.survey_plan)."""

    def on_start_page(self, url: UrlParts) -> bool:
        """Whether the guide may start on this page (its page rules and its first step's page)."""
        if self.pages is not None and not any(p.matches(url) for p in self.pages):
            return False
        return self.start_page is None or self.start_page.matches(url)

    def allows_locale(self, locale: str | None) -> bool:
        return locale_allowed(self.only_locales, locale)

    def encoded(self, locale: str | None) -> bytes:
        """The guide's static JSON for ``locale``, without its closing brace (state is appended)."""
        key = (locale or "").lower()
        cached = self._encoded.get(key)
        if cached is None:
            cached = msgspec.json.encode(self._localised(locale))[:-1]
            if len(self._encoded) >= _MAX_LOCALE_CACHE:
                self._encoded.clear()
            self._encoded[key] = cached
        return cached

    def _text(self, text: Text | None, locale: str | None) -> str:
        default = self.definition.locales.default if self.definition.locales else None
        return pick_locale(text, locale, default) if text is not None else ""

    def _body(self, text: Text | None, locale: str | None) -> list[Node]:
        source = self._text(text, locale)
        if source not in self._bodies:
            self._bodies[source] = compile_body(source) if source else []
        return self._bodies[source]

    def _localised(self, locale: str | None) -> dict[str, Any]:
        """The guide as the widget gets it: what it needs, nothing it would fill in itself.

        Empty and default values are left out (the widget has the same defaults), which
        keeps the per-page-view answer small.
        """
        guide = self.definition
        buttons: dict[str, str] = {}
        if guide.buttons is not None:
            for name in _DEFAULT_BUTTONS:
                value = getattr(guide.buttons, name)
                if value is not None and (label := self._text(value, locale)) != _DEFAULT_BUTTONS[name]:
                    buttons[name] = label
        steps = []
        for step, page in zip(guide.steps, _step_pages(guide), strict=True):
            out: dict[str, Any] = {
                "type": "tooltip" if isinstance(step, TooltipStep) else
                        "banner" if isinstance(step, BannerStep) else "lightbox",
                "page": page,
                "title": self._text(step.title, locale),
                "body": self._body(step.body, locale),
                "next_url": step.next_url,
            }
            if isinstance(step, TooltipStep):
                out.update(anchor=step.anchor, placement=step.placement, wait_ms=step.wait_ms)
            if isinstance(step, BannerStep):
                out["position"] = step.position
            if isinstance(step, NpsStep | PollStep):
                out["type"] = step.__struct_config__.tag
                out.update(survey_step_json(step, lambda t: self._text(t, locale)))
            steps.append(_compact(out))
        return _compact({
            "id": guide.id,
            "version": self.version,
            "kind": guide.kind,
            "priority": guide.priority,
            "activation": _compact({"mode": guide.activation.mode, "selector": guide.activation.selector}),
            "frequency": _compact({"mode": guide.frequency.mode, "days": guide.frequency.days}),
            "ignore_throttle": guide.ignore_throttle,
            "snooze_days": guide.snooze_days,
            "buttons": buttons,
            "policy": policy_json(guide, locale),
            "steps": steps,
        }, keep=("id", "version", "kind", "priority", "steps")) | (
            {"throttle_ms": guide.throttle_seconds * 1000} if guide.throttle_seconds is not None else {}
        )


def _compact(values: dict[str, Any], keep: tuple[str, ...] = ("type", "title", "body")) -> dict[str, Any]:
    """Leave out what is empty, null or false (except ``keep``): the widget reads those as absent."""
    return {k: v for k, v in values.items() if k in keep or v not in (None, False, "", [], {})}


def compile_guide(definition: dict[str, Any], version: int) -> CompiledGuide:
    """Compile a stored definition (the guide file as plain data)."""
    return CompiledGuide(msgspec.convert(definition, GuideFile), version)
