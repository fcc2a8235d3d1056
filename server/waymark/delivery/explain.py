"""Why a guide was (not) shown: delivery's own selection, traced, turned into ordered checks with reason codes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.db.models import Event, Guide, Tenant, Visitor
from waymark.db.scope import app_session
from waymark.delivery.selection import Outcome, Trace, VisitorContext, select_guides
from waymark.delivery.snapshot import Snapshot, SnapshotStore
from waymark.delivery.state_reader import StateReader
from waymark.guides.compiler import CompiledGuide
from waymark.guides.targeting import COHORTS, compile_rule

__all__ = ["CHECKS", "REASONS", "Check", "Explanation", "UnknownGuide", "explain_guide", "failing_clause"]

CHECKS = (
    "published", "page", "locale", "segment", "schedule", "opted_out", "holdout", "sampled", "activation",
    "snoozed", "completed", "frequency", "throttle", "anchor",
)
"""Every check, in the order delivery makes them; the first that fails is the reason."""

REASONS = {
    "published": "not_published", "page": "page_mismatch", "locale": "locale_excluded",
    "segment": "segment_mismatch", "schedule": "outside_schedule", "opted_out": "opted_out",
    "holdout": "holdout", "sampled": "sampled_out", "activation": "not_automatic", "snoozed": "snoozed",
    "completed": "already_completed", "frequency": "frequency", "throttle": "throttled", "anchor": "anchor_missing",
}
"""The reason code each check gives when it fails."""

_BY_CODE = {code: check for check, code in REASONS.items()}


class UnknownGuide(LookupError):
    """The app has no guide by that id, published or not."""


class Check(msgspec.Struct):
    name: str
    status: Literal["pass", "fail", "skipped"]
    """``skipped``: not reached (an earlier check failed) or not needed (a walkthrough resumes)."""
    reason: str | None = None
    """The reason code of a failed check."""
    until: datetime | None = None
    """When the check stops failing by itself (snooze, frequency, budget), if it does."""
    by: str | None = None
    """The guide that used the budget (``throttled``)."""
    detail: str | None = None


class Explanation(msgspec.Struct):
    guide: str
    visitor: str
    tenant: str | None
    url: str
    locale: str | None
    listed: bool
    """Delivery lists the guide for this visitor on this page (click and API activation work)."""
    starts: bool
    """Delivery marks it to start by itself now."""
    reason: str | None
    """The first failing check's reason code; null when every check passes."""
    checks: list[Check]


def failing_clause(rule: Any, visitor: Mapping[str, Any], tenant: Mapping[str, Any], path: str = "segment") -> str:
    """The innermost clause of a segment rule that keeps it from matching, in words."""
    if isinstance(rule, Mapping) and isinstance(rule.get("all"), list):
        for i, part in enumerate(rule["all"]):
            if not compile_rule(part, f"{path}.all[{i}]")(visitor, tenant):
                return failing_clause(part, visitor, tenant, f"{path}.all[{i}]")
    if isinstance(rule, Mapping) and "any" in rule:
        return f"{path}.any: none of {len(rule['any'])} rules matches"
    if isinstance(rule, Mapping) and "not" in rule:
        return f"{path}.not: the negated rule matches"
    if isinstance(rule, Mapping) and "field" in rule:
        scope, _, key = str(rule["field"]).partition(".")
        actual = sorted(visitor.get(COHORTS, ())) if scope == "cohort" else (
            visitor if scope == "visitor" else tenant).get(key)
        expected = f" {json.dumps(rule['value'], default=str)}" if "value" in rule else ""
        return f"{path}: {rule['field']} {rule.get('op')}{expected} (the visitor has {json.dumps(actual, default=str)})"
    return path


async def _metadata(
    session: AsyncSession, app_id: str, visitor: str, tenant: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What segments see: the stored traits (identify, group) with the ids, as the widget would send them."""
    visitor_meta = dict(await session.scalar(
        select(Visitor.meta).where(Visitor.app_id == app_id, Visitor.id == visitor)) or {})
    tenant_meta = dict(await session.scalar(
        select(Tenant.meta).where(Tenant.app_id == app_id, Tenant.id == tenant)) or {}) if tenant else {}
    visitor_meta["id"] = visitor
    if tenant:
        tenant_meta["id"] = tenant
    return visitor_meta, tenant_meta


async def _anchor_missing(session: AsyncSession, app_id: str, visitor: str, guide: str) -> Event | None:
    """The widget's last 'anchor never appeared' for this guide and visitor, if no view came after it."""
    last: dict[str, Event] = {}
    for kind in ("guide_anchor_missing", "guide_seen"):
        found = await session.scalar(
            select(Event).where(Event.app_id == app_id, Event.visitor_id == visitor, Event.guide_id == guide,
                                Event.type == kind).order_by(Event.ts.desc()).limit(1))
        if found is not None:
            last[kind] = found
    missing, seen = last.get("guide_anchor_missing"), last.get("guide_seen")
    if missing is None or (seen is not None and seen.ts >= missing.ts):
        return None
    return missing


def _checks_for(
    outcome: Outcome | None, guide: CompiledGuide | None, visitor_meta: Mapping[str, Any],
    tenant_meta: Mapping[str, Any], locale: str | None,
) -> list[Check]:
    """The ordered checks from selection's outcome: those before the failing one passed, later ones were not reached."""
    if guide is None:
        failed, extra = "published", Check("published", "fail", "not_published",
                                           detail="the guide has no published version")
    elif outcome is None:
        failed, extra = "page", Check("page", "fail", "page_mismatch", detail="the guide does not start on this page")
    elif outcome.code == "audience":
        if guide.only_locales is not None and not guide.allows_locale(locale):
            failed, extra = "locale", Check("locale", "fail", "locale_excluded",
                                            detail=f"only {', '.join(guide.only_locales)}; the visitor has {locale}")
        else:
            clause = failing_clause(guide.definition.targeting.segment, visitor_meta, tenant_meta)
            failed, extra = "segment", Check("segment", "fail", "segment_mismatch", detail=clause)
    elif outcome.code in _BY_CODE:
        failed = _BY_CODE[outcome.code]
        extra = Check(failed, "fail", outcome.code, until=outcome.until, by=outcome.by, detail=outcome.detail)
    else:  # starts, resumes or listed: every server-side check passed (or was not needed)
        resumes = outcome.code == "resumes"
        skipped = {"activation", "snoozed", "completed", "frequency", "throttle"} if resumes else set()
        return [
            Check(name, "skipped", detail="a walkthrough in progress resumes") if name in skipped
            else Check(name, "pass") for name in CHECKS if name != "anchor"
        ]
    checks: list[Check] = []
    reached = True
    for name in CHECKS:
        if name == failed:
            checks.append(extra)
            reached = False
        elif name != "anchor":
            checks.append(Check(name, "pass") if reached else Check(name, "skipped"))
    return checks


async def explain_guide(
    sessionmaker: async_sessionmaker[AsyncSession], snapshots: SnapshotStore, state_reader: StateReader,
    app_id: str, guide_id: str, visitor: str, tenant: str | None, url: str, locale: str | None, now: datetime,
) -> Explanation:
    """Run delivery's selection for this visitor and page with a trace, and explain this guide's outcome.

    Segments see the visitor's and tenant's stored traits; the locale is the one given, else the
    visitor's stored ``locale``. The last check is the widget's: an anchor that never appeared
    the last time the guide was tried (and no view since).
    """
    # One connection at a time: the snapshot store and the state reader take their own.
    async with app_session(sessionmaker, app_id) as session:
        if await session.scalar(select(Guide.id).where(Guide.app_id == app_id, Guide.id == guide_id)) is None:
            raise UnknownGuide(f"no guide {guide_id!r} in this app")
        visitor_meta, tenant_meta = await _metadata(session, app_id, visitor, tenant)
    if locale:
        visitor_meta.setdefault("locale", locale)
    locale = locale or (str(visitor_meta["locale"]) if visitor_meta.get("locale") else None)
    snapshot: Snapshot = await snapshots.get(app_id)
    states, history, cohorts = await state_reader.read_with_cohorts(app_id, visitor)
    key = f"explain\x00{visitor}\x00{tenant}\x00{locale}\x00{json.dumps(visitor_meta, default=str)}" \
          f"\x00{json.dumps(tenant_meta, default=str)}\x00{','.join(sorted(cohorts))}"
    visitor_meta[COHORTS] = cohorts
    audience = snapshot.audience(key, visitor_meta, tenant_meta, locale)
    ctx = VisitorContext(audience=audience, tenant_id=tenant, locale=locale, states=states, history=history,
                         visitor_id=visitor)
    trace = Trace()
    selection = select_guides(snapshot, ctx, url, now, trace)
    guide = snapshot.by_id.get(guide_id)
    checks = _checks_for(trace.outcomes.get(guide_id), guide, visitor_meta, tenant_meta, locale)
    offer = next((o for o in selection.offers if o[0].id == guide_id), None)
    if offer is not None and all(c.status != "fail" for c in checks):
        async with app_session(sessionmaker, app_id) as session:
            missing = await _anchor_missing(session, app_id, visitor, guide_id)
        checks.append(Check("anchor", "pass") if missing is None else Check(
            "anchor", "fail", "anchor_missing",
            detail=f"its anchor did not appear at {missing.url or 'the last page'} "
                   f"({missing.ts.isoformat(timespec='seconds')}); the widget skips it where that happens"))
    else:
        checks.append(Check("anchor", "skipped"))
    first = next((c for c in checks if c.status == "fail"), None)
    return Explanation(
        guide=guide_id, visitor=visitor, tenant=tenant, url=url, locale=locale,
        listed=offer is not None, starts=offer is not None and offer[1],
        reason=first.reason if first else None, checks=checks,
    )
