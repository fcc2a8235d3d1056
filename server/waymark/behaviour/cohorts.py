"""Saved cohorts of an app: validation, storage, who uses them, and their members.

A cohort is saved with an id (a slug guide targeting names), a name, a description and a rule (see
:mod:`waymark.behaviour.cohort_rules`). Members are refreshed by :mod:`waymark.behaviour.cohort_refresh`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.behaviour.cohort_models import Cohort, CohortMember
from waymark.behaviour.cohort_rules import compile_cohort_rule
from waymark.clock import as_utc, utcnow
from waymark.db.models import Guide, GuideVersion
from waymark.guides.services import PublishItem, PublishRefused
from waymark.guides.targeting import COHORT_ID, RuleError, cohort_refs
from waymark.wire import JSON_MAX_DEPTH, bad_characters, json_problem

__all__ = [
    "MAX_RULE_CHARS",
    "CohortIn",
    "CohortInUse",
    "CohortInvalid",
    "CohortMemberOut",
    "CohortOut",
    "CohortReferences",
    "NoSuchCohort",
    "delete_cohort",
    "erase_members",
    "get_cohort",
    "guides_using",
    "list_cohorts",
    "list_members",
    "parse_rule_text",
    "save_cohort",
]

MAX_RULE_CHARS = 20_000


class CohortInvalid(ValueError):
    """A cohort that cannot be saved; ``field`` names the part that is wrong (``rule.all[1].days``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NoSuchCohort(LookupError):
    pass


class CohortInUse(ValueError):
    """A cohort that published guides target cannot be deleted."""


class CohortIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A cohort as sent by people."""

    name: str
    rule: Any
    """``{did: feature:export, at_least: 3, days: 14}``, ``{not_did: …, days: 30}``, ``{first_seen_within: 14}``
    and metadata conditions, combined with ``all``, ``any`` and ``not``."""
    description: str = ""


class CohortOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    description: str
    rule: Any
    size: int
    """Members after the last refresh."""
    refreshed_at: datetime | None
    updated_at: datetime


class CohortMemberOut(msgspec.Struct):
    visitor: str
    since: datetime


def _out(row: Cohort) -> CohortOut:
    return CohortOut(id=row.id, name=row.name, description=row.description, rule=row.rule, size=row.size,
                     refreshed_at=as_utc(row.refreshed_at) if row.refreshed_at else None,
                     updated_at=as_utc(row.updated_at))


def parse_rule_text(text: str) -> Any:
    """A rule written as JSON or YAML (the admin's form); raises :class:`CohortInvalid` naming ``rule``."""
    if len(text) > MAX_RULE_CHARS:
        raise CohortInvalid("rule", f"at most {MAX_RULE_CHARS} characters")
    if not text.strip():
        raise CohortInvalid("rule", "required: for example {did: feature:export, at_least: 3, days: 14}")
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise CohortInvalid("rule", f"nests deeper than {JSON_MAX_DEPTH} levels") from exc
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except RecursionError as exc:
        raise CohortInvalid("rule", f"nests deeper than {JSON_MAX_DEPTH} levels") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise CohortInvalid("rule", f"neither JSON nor YAML{where}: {getattr(exc, 'problem', exc)}") from exc


def validate(cohort_id: str, data: CohortIn) -> None:
    """Raise :class:`CohortInvalid` for the first problem of a cohort about to be saved."""
    if not COHORT_ID.fullmatch(cohort_id):
        raise CohortInvalid("id", "1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit")
    if not data.name.strip() or len(data.name) > 200:
        raise CohortInvalid("name", "1 to 200 characters")
    if bad := bad_characters(data.name):
        raise CohortInvalid("name", bad)
    if len(data.description) > 2000:
        raise CohortInvalid("description", "at most 2000 characters")
    if bad := bad_characters(data.description, multiline=True):
        raise CohortInvalid("description", bad)
    if problem := json_problem(data.rule, "rule"):  # stored as JSON: shallow, bounded, no NUL
        raise CohortInvalid("rule", problem)
    if len(json.dumps(data.rule, default=str)) > MAX_RULE_CHARS:
        raise CohortInvalid("rule", f"at most {MAX_RULE_CHARS} characters")
    try:
        compile_cohort_rule(data.rule)
    except RuleError as exc:
        raise CohortInvalid(exc.field, exc.message) from exc


async def list_cohorts(session: AsyncSession, app_id: str) -> list[CohortOut]:
    rows = await session.scalars(select(Cohort).where(Cohort.app_id == app_id).order_by(Cohort.id))
    return [_out(row) for row in rows.all()]


async def get_cohort(session: AsyncSession, app_id: str, cohort_id: str) -> CohortOut:
    row = await session.get(Cohort, (app_id, cohort_id))
    if row is None:
        raise NoSuchCohort(f"no cohort {cohort_id!r} in this app")
    return _out(row)


async def save_cohort(session: AsyncSession, app_id: str, cohort_id: str, data: CohortIn) -> bool:
    """Create or replace a cohort (its members are refreshed by the caller after the commit); True if created."""
    validate(cohort_id, data)
    row = await session.get(Cohort, (app_id, cohort_id))
    created = row is None
    if row is None:
        row = Cohort(app_id=app_id, id=cohort_id, size=0)
        session.add(row)
    row.name, row.description, row.rule, row.updated_at = data.name.strip(), data.description, data.rule, utcnow()
    await session.flush()
    return created


async def guides_using(session: AsyncSession, app_id: str, cohort_id: str | None = None) -> dict[str, list[str]]:
    """Published guides whose segment names a cohort: cohort id → guide ids (only ``cohort_id``'s if given)."""
    rows = await session.execute(
        select(GuideVersion.guide_id, GuideVersion.definition)
        .join(Guide, (Guide.app_id == GuideVersion.app_id) & (Guide.id == GuideVersion.guide_id)
              & (Guide.published_version == GuideVersion.version))
        .where(GuideVersion.app_id == app_id)
        .order_by(GuideVersion.guide_id)
    )
    found: dict[str, list[str]] = {}
    for guide_id, definition in rows.tuples():
        segment = ((definition or {}).get("targeting") or {}).get("segment")
        for named in sorted({cid for _, cid in cohort_refs(segment)}):
            if cohort_id is None or named == cohort_id:
                found.setdefault(named, []).append(guide_id)
    return found


async def delete_cohort(session: AsyncSession, app_id: str, cohort_id: str) -> None:
    """Delete a cohort and its members; refused while a published guide targets it."""
    if await session.get(Cohort, (app_id, cohort_id)) is None:
        raise NoSuchCohort(f"no cohort {cohort_id!r} in this app")
    users = (await guides_using(session, app_id, cohort_id)).get(cohort_id)
    if users:
        raise CohortInUse(f"cohort {cohort_id!r} is targeted by published guide(s) {', '.join(users)}: "
                          "change or archive them first")
    await session.execute(delete(CohortMember).where(CohortMember.app_id == app_id,
                                                     CohortMember.cohort_id == cohort_id))
    await session.execute(delete(Cohort).where(Cohort.app_id == app_id, Cohort.id == cohort_id))


async def erase_members(session: AsyncSession, app_id: str, visitor_ids: Sequence[str]) -> int:
    """Forget erased visitors in every cohort at once (not at the next refresh); how many rows went."""
    result = await session.execute(delete(CohortMember).where(
        CohortMember.app_id == app_id, CohortMember.visitor_id.in_(list(visitor_ids))))
    return int(getattr(result, "rowcount", 0) or 0)


async def list_members(
    session: AsyncSession, app_id: str, cohort_id: str, limit: int, offset: int = 0
) -> tuple[int, list[CohortMemberOut]]:
    """(how many members, one page of them by visitor id)."""
    await get_cohort(session, app_id, cohort_id)
    where = (CohortMember.app_id == app_id, CohortMember.cohort_id == cohort_id)
    total = int(await session.scalar(select(func.count()).select_from(CohortMember).where(*where)) or 0)
    rows = await session.execute(select(CohortMember.visitor_id, CohortMember.since).where(*where)
                                 .order_by(CohortMember.visitor_id).limit(limit).offset(offset))
    return total, [CohortMemberOut(visitor, as_utc(since)) for visitor, since in rows.tuples()]


class CohortReferences:
    """Publish hook: a guide whose segment names a cohort the app does not have is refused, naming both."""

    async def before_publish(self, session: AsyncSession, app_id: str, items: Sequence[PublishItem]) -> None:
        named = [(item, path, cid) for item in items
                 for path, cid in cohort_refs(((item.definition.get("targeting") or {}).get("segment")),
                                              "targeting.segment")]
        if not named:
            return
        existing = set((await session.scalars(select(Cohort.id).where(Cohort.app_id == app_id))).all())
        problems = [f"{item.source or item.id}: {path}: cohort {cid!r} does not exist in this app"
                    for item, path, cid in named if cid not in existing]
        if problems:
            raise PublishRefused(problems)
