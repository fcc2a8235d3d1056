"""Who an NPS survey asks and when, with no I/O: stable sample, re-survey interval, spread, dismissal."""

from __future__ import annotations

from datetime import datetime, timedelta

from waymark.clock import as_utc
from waymark.guides.frequency import GuideState
from waymark.guides.sampling import in_sample, sample_point
from waymark.guides.schemas import SurveyRules

__all__ = ["SurveyPlan"]


class SurveyPlan:
    """A published survey's asking rules, compiled once per publish."""

    __slots__ = ("_salt", "resurvey", "sample", "snooze", "spread", "spread_start")

    def __init__(self, guide_id: str, rules: SurveyRules | None, snooze_days: int | None,
                 start: datetime | None) -> None:
        rules = rules or SurveyRules()
        # Salted by guide: two surveys with the same share do not ask the same visitors.
        self._salt = f"survey:{guide_id}"
        self.sample = rules.sample
        self.resurvey = timedelta(days=rules.resurvey_days)
        self.snooze = timedelta(days=snooze_days or 1)
        self.spread = timedelta(days=rules.spread_days) if rules.spread_days else None
        self.spread_start = as_utc(start) if start else None

    def sampled(self, visitor_id: str) -> bool:
        """Whether this visitor is in the sample: the same answer on every page view and every worker."""
        return in_sample(self._salt, visitor_id, self.sample)

    def turn(self, visitor_id: str) -> datetime | None:
        """When the spread lets this visitor be asked first (None: no spread)."""
        if self.spread is None or self.spread_start is None:
            return None
        return self.spread_start + self.spread * sample_point(self._salt + ":spread", visitor_id)

    def may_ask(self, visitor_id: str, state: GuideState, now: datetime) -> bool:
        """Whether the survey may start by itself now (page, segment, schedule and throttle are checked elsewhere).

        An answer (`completed`) waits for the re-survey interval; a dismissal or a survey seen and left
        unanswered is not an answer, so it may ask again after the snooze interval.
        """
        now = as_utc(now)
        if state.snoozed_until is not None and as_utc(state.snoozed_until) > now:
            return False
        if state.completed_at is not None and as_utc(state.completed_at) + self.resurvey > now:
            return False
        seen = state.last_seen_at
        if state.status in ("seen", "dismissed") and seen is not None and as_utc(seen) + self.snooze > now:
            return False
        turn = self.turn(visitor_id)
        return turn is None or turn <= now
