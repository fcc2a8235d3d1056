"""Keeping an app's alert rules, and reading its firings."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.alerts.models import AlertFiring, AlertRule
from waymark.alerts.rules import RuleSpec
from waymark.alerts.schemas import AlertFiringOut, AlertRuleOut
from waymark.clock import as_utc, utcnow

__all__ = ["MAX_RULES", "NoSuchRule", "TooManyRules", "delete_rule", "firings", "get_rule", "list_rules",
           "open_firings", "rule_out", "save_rule"]

MAX_RULES = 200


class NoSuchRule(LookupError):
    pass


class TooManyRules(ValueError):
    pass


def rule_out(rule: AlertRule) -> AlertRuleOut:
    return AlertRuleOut(
        id=rule.id, name=rule.name, metric=rule.metric, target=rule.target, period=rule.period,
        condition=rule.condition, value=rule.value, enabled=rule.enabled, in_breach=rule.in_breach,
        last_value=rule.last_value, last_period_start=rule.last_period_start,
        last_evaluated_at=as_utc(rule.last_evaluated_at) if rule.last_evaluated_at else None)


async def list_rules(session: AsyncSession, app_id: str) -> list[AlertRuleOut]:
    rows = await session.scalars(select(AlertRule).where(AlertRule.app_id == app_id).order_by(AlertRule.id))
    return [rule_out(r) for r in rows]


async def _rule(session: AsyncSession, app_id: str, rule_id: int) -> AlertRule:
    found = await session.scalar(select(AlertRule).where(AlertRule.app_id == app_id, AlertRule.id == rule_id))
    if found is None:
        raise NoSuchRule(f"no alert rule {rule_id} in this app")
    return found


async def get_rule(session: AsyncSession, app_id: str, rule_id: int) -> AlertRuleOut:
    return rule_out(await _rule(session, app_id, rule_id))


async def save_rule(session: AsyncSession, app_id: str, spec: RuleSpec, rule_id: int | None = None) -> AlertRuleOut:
    """Create a rule (``rule_id`` None) or replace one. A rule whose metric, target, period, condition or value
    change, or that is turned off, starts afresh: not in breach, its open firing closed (so no banner stays up
    for a breach nothing judges any more); a firing already recorded for a period still keeps that period from
    firing twice."""
    if rule_id is None:
        count = await session.scalar(select(func.count()).select_from(AlertRule).where(AlertRule.app_id == app_id))
        if (count or 0) >= MAX_RULES:
            raise TooManyRules(f"an app has at most {MAX_RULES} alert rules; delete one first")
        rule = AlertRule(app_id=app_id, in_breach=False, created_at=utcnow())
        session.add(rule)
    else:
        rule = await _rule(session, app_id, rule_id)
        if not spec.enabled or (rule.metric, rule.target, rule.period, rule.condition, rule.value) != (
                spec.metric, spec.target, spec.period, spec.condition, spec.value):
            rule.in_breach, rule.last_value, rule.last_period_start = False, None, None
            await session.execute(update(AlertFiring).where(AlertFiring.app_id == app_id,
                                                            AlertFiring.rule_id == rule.id,
                                                            AlertFiring.recovered_at.is_(None))
                                  .values(recovered_at=utcnow()).execution_options(synchronize_session=False))
    rule.name, rule.metric, rule.target, rule.period = spec.name, spec.metric, spec.target, spec.period
    rule.condition, rule.value, rule.enabled, rule.updated_at = spec.condition, spec.value, spec.enabled, utcnow()
    await session.flush()
    return rule_out(rule)


async def delete_rule(session: AsyncSession, app_id: str, rule_id: int) -> None:
    """Delete a rule and its firings."""
    rule = await _rule(session, app_id, rule_id)
    await session.execute(delete(AlertFiring).where(AlertFiring.app_id == app_id, AlertFiring.rule_id == rule.id))
    await session.execute(delete(AlertRule).where(AlertRule.app_id == app_id, AlertRule.id == rule.id))


async def firings(session: AsyncSession, app_id: str, limit: int = 100, *, open_only: bool = False
                  ) -> list[AlertFiringOut]:
    """The latest firings, newest first (``open_only``: those not recovered yet)."""
    query = (select(AlertFiring, AlertRule.name).join(AlertRule, AlertRule.id == AlertFiring.rule_id)
             .where(AlertFiring.app_id == app_id))
    if open_only:
        query = query.where(AlertFiring.recovered_at.is_(None))
    rows = (await session.execute(query.order_by(AlertFiring.fired_at.desc(), AlertFiring.id.desc())
                                  .limit(limit))).all()
    return [AlertFiringOut(id=f.id, rule_id=f.rule_id, rule_name=name, period_start=f.period_start,
                           period_end=f.period_end, value=f.value, previous=f.previous, fired_at=as_utc(f.fired_at),
                           recovered_at=as_utc(f.recovered_at) if f.recovered_at else None) for f, name in rows]


async def open_firings(session: AsyncSession, app_id: str) -> int:
    """How many firings have not recovered: what the admin's banner announces."""
    return await session.scalar(select(func.count()).select_from(AlertFiring).where(
        AlertFiring.app_id == app_id, AlertFiring.recovered_at.is_(None))) or 0
