"""Evaluating every enabled rule of every app, by one worker at a time; a breach fires once, then waits to recover.

For each rule the last complete period is judged (with the period before it for a percentage change; for a
funnel's conversion, the last one whose conversion windows have all closed):

- breached, and the rule was not in breach: a firing is recorded for that period (at most one per rule and
  period, a unique constraint makes sure) and an ``alert.fired`` webhook is put in the outbox, in the same
  transaction;
- breached again while in breach (the same period, or the breach going on into later ones): nothing new;
- not breached while in breach: the rule has recovered (its open firing gets ``recovered_at``, an
  ``alert.recovered`` webhook is put in the outbox); the next breach fires anew;
- no value to judge (no answers, no base for a change): nothing changes.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.alerts.exclusive import only_one_worker
from waymark.alerts.metrics import metric_value
from waymark.alerts.models import AlertFiring, AlertRule
from waymark.alerts.rules import CHANGE_CONDITIONS, Period, breached, judged_period, previous
from waymark.clock import utcnow
from waymark.db.scope import app_session
from waymark.webhooks.outbox import enqueue

__all__ = ["LOCK_NAME", "Evaluation", "evaluate", "evaluate_all", "evaluate_app"]

LOCK_NAME = "alerts-evaluation"
log = logging.getLogger("waymark.alerts")


class Evaluation(NamedTuple):
    ran: bool
    """False: another worker was evaluating, so this one did nothing."""
    rules: int
    fired: list[int]
    """Ids of the firings recorded."""


def _payload(rule: AlertRule, period: Period, current: float | None, before: float | None,
             now: datetime) -> dict[str, Any]:
    return {
        "rule": {"id": rule.id, "name": rule.name, "metric": rule.metric, "target": rule.target,
                 "period": rule.period, "condition": rule.condition, "value": rule.value},
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "value": current, "previous": before, "at": now.isoformat(),
    }


async def _judge(session: AsyncSession, app_id: str, rule: AlertRule, now: datetime) -> int | None:
    """Judge one rule; the id of the firing it records, if any."""
    period = judged_period(now, rule.period, rule.metric, rule.target)
    current = await metric_value(session, app_id, rule.metric, rule.target, period)
    before = (await metric_value(session, app_id, rule.metric, rule.target, previous(period))
              if rule.condition in CHANGE_CONDITIONS else None)
    verdict = breached(rule.condition, rule.value, current, before)
    rule.last_value, rule.last_period_start, rule.last_evaluated_at = current, period.start, now
    if verdict is None or verdict == rule.in_breach:
        return None
    rule.in_breach = verdict
    if not verdict:
        await session.execute(update(AlertFiring).where(AlertFiring.rule_id == rule.id,
                                                        AlertFiring.recovered_at.is_(None))
                              .values(recovered_at=now).execution_options(synchronize_session=False))
        await enqueue(session, app_id, "alert.recovered", _payload(rule, period, current, before, now), now=now)
        return None
    already = await session.scalar(select(AlertFiring.id).where(AlertFiring.rule_id == rule.id,
                                                                AlertFiring.period_start == period.start))
    if already is not None:  # this period fired before (it recovered within it and breached again)
        return None
    assert current is not None  # a verdict needs a value
    firing = AlertFiring(app_id=app_id, rule_id=rule.id, period_start=period.start, period_end=period.end,
                         value=current, previous=before, fired_at=now)
    session.add(firing)
    await session.flush()
    await enqueue(session, app_id, "alert.fired", _payload(rule, period, current, before, now), now=now)
    return firing.id


async def evaluate_app(sessionmaker: async_sessionmaker[AsyncSession], app_id: str, now: datetime
                       ) -> tuple[int, list[int]]:
    """Judge the app's enabled rules in one transaction: (rules judged, firings recorded)."""
    fired: list[int] = []
    async with app_session(sessionmaker, app_id) as session:
        rules = (await session.scalars(select(AlertRule).where(AlertRule.app_id == app_id,
                                                               AlertRule.enabled.is_(True))
                                       .order_by(AlertRule.id))).all()
        for rule in rules:
            found = await _judge(session, app_id, rule, now)
            if found is not None:
                fired.append(found)
        await session.commit()
    return len(rules), fired


async def evaluate_all(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> tuple[int, list[int]]:
    """Every app with an enabled rule (a failing app is logged and the others still judged)."""
    async with sessionmaker() as session:  # a worker's look across apps; each app is then judged app-bound
        apps = (await session.scalars(select(AlertRule.app_id).where(AlertRule.enabled.is_(True)).distinct()
                                      .order_by(AlertRule.app_id))).all()
    rules, fired = 0, []
    for app_id in apps:
        try:
            judged, made = await evaluate_app(sessionmaker, app_id, now)
        except Exception:
            log.exception("alert rules of app %s could not be evaluated", app_id)
            continue
        rules += judged
        fired += made
    return rules, fired


async def evaluate(sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None) -> Evaluation:
    """Evaluate every rule unless another worker is doing it right now."""
    async with only_one_worker(sessionmaker, LOCK_NAME) as held:
        if not held:
            return Evaluation(False, 0, [])
        rules, fired = await evaluate_all(sessionmaker, now or utcnow())
    return Evaluation(True, rules, fired)
