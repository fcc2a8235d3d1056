"""Pages and features: validate, save (rebuilding the rule's roll-up when it changed), delete; untagged clicks."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Table, Text, cast, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.item_first_days import drop_rule as drop_rule_first_days
from waymark.analytics.rollups import rebuild_rule
from waymark.analytics.rules import hold_rules, load_rule_book, page_matcher
from waymark.analytics.schemas import Feature, FeatureIn, Page, PageIn, UntaggedClick
from waymark.analytics.selectors import SelectorError, escape_ident, parse_selector
from waymark.analytics.steps import rebuild_rule_steps
from waymark.clock import as_utc
from waymark.db.models import DailyUsage, Event, FeatureDefinition, PageDefinition, utcnow
from waymark.db.upsert import insert_for
from waymark.guides.schemas import SLUG_PATTERN, PageRule
from waymark.guides.targeting import RuleError

__all__ = [
    "DefinitionError",
    "NoSuchDefinition",
    "Saved",
    "check_feature",
    "check_id",
    "check_page",
    "delete_definition",
    "get_feature",
    "get_page",
    "list_features",
    "list_pages",
    "save_feature",
    "save_page",
    "suggest_selector",
    "untagged_clicks",
]

_SLUG = re.compile(SLUG_PATTERN)
_RESERVED = {"feature": {"untagged"}, "page": set()}
_MODELS: dict[str, Any] = {"page": PageDefinition, "feature": FeatureDefinition}


class DefinitionError(ValueError):
    """A definition that cannot be saved; ``field`` names the part that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NoSuchDefinition(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Saved:
    """What a save did: ``counted`` views or clicks were found in stored events when it rebuilt."""

    definition: Page | Feature
    created: bool
    rebuilt: bool
    counted: int


def _rule_dict(rule: str | PageRule) -> dict[str, Any]:
    spec = PageRule(path=rule) if isinstance(rule, str) else rule
    return {"path": spec.path, "host": spec.host, "query": dict(spec.query)}


def check_id(kind: str, rule_id: str) -> None:
    if not _SLUG.match(rule_id):
        raise DefinitionError("id", f"{rule_id!r} is not a slug (lowercase letters, digits and '-', "
                                    "starting with a letter or digit, at most 64 characters)")
    if rule_id in _RESERVED[kind]:
        raise DefinitionError("id", f"{rule_id!r} is reserved")


def _check_rule(rule: str | PageRule, field: str) -> dict[str, Any]:
    try:
        page_matcher(rule if isinstance(rule, str) else _rule_dict(rule), field)
    except RuleError as exc:
        raise DefinitionError(exc.field, exc.message) from exc
    return _rule_dict(rule)


def check_page(page_id: str, data: PageIn) -> dict[str, Any]:
    """The stored form of the page's rule; raises DefinitionError."""
    check_id("page", page_id)
    return _check_rule(data.rule, "rule")


def check_feature(feature_id: str, data: FeatureIn) -> tuple[str, dict[str, Any] | None]:
    """The stored selector and page rule of the feature; raises DefinitionError."""
    check_id("feature", feature_id)
    try:
        parse_selector(data.selector)
    except SelectorError as exc:
        raise DefinitionError("selector", str(exc)) from exc
    return data.selector, (_check_rule(data.page, "page") if data.page is not None else None)


def _page(row: PageDefinition) -> Page:
    return Page(id=row.id, name=row.name, rule=msgspec.convert(row.rule, PageRule), updated_at=as_utc(row.updated_at))


def _feature(row: FeatureDefinition) -> Feature:
    page = msgspec.convert(row.page, PageRule) if row.page else None
    return Feature(id=row.id, name=row.name, selector=row.selector, page=page, updated_at=as_utc(row.updated_at))


async def list_pages(session: AsyncSession, app_id: str) -> list[Page]:
    rows = await session.scalars(select(PageDefinition).where(PageDefinition.app_id == app_id).order_by("id"))
    return [_page(r) for r in rows]


async def list_features(session: AsyncSession, app_id: str) -> list[Feature]:
    rows = await session.scalars(select(FeatureDefinition).where(FeatureDefinition.app_id == app_id).order_by("id"))
    return [_feature(r) for r in rows]


async def _get(session: AsyncSession, kind: str, app_id: str, rule_id: str) -> Any:
    model = _MODELS[kind]
    row = await session.scalar(select(model).where(model.app_id == app_id, model.id == rule_id))
    if row is None:
        raise NoSuchDefinition(f"no {kind} {rule_id!r} in this app")
    return row


async def get_page(session: AsyncSession, app_id: str, page_id: str) -> Page:
    return _page(await _get(session, "page", app_id, page_id))


async def get_feature(session: AsyncSession, app_id: str, feature_id: str) -> Feature:
    return _feature(await _get(session, "feature", app_id, feature_id))


async def _save(
    session: AsyncSession, kind: str, app_id: str, rule_id: str, values: dict[str, Any], rule_fields: Sequence[str]
) -> tuple[bool, bool, int]:
    """Upsert one definition; rebuild its roll-up when it is new or its rule changed. (created, rebuilt, counted)"""
    model = _MODELS[kind]
    old = (await session.execute(
        select(*(getattr(model, f) for f in rule_fields)).where(model.app_id == app_id, model.id == rule_id)
    )).first()
    changed = old is None or tuple(old) != tuple(values[f] for f in rule_fields)
    if changed:
        await hold_rules(session, app_id, change=True)
    row = {"app_id": app_id, "id": rule_id, **values, "updated_at": utcnow()}
    ins = insert_for(session, model).values(row)
    await session.execute(ins.on_conflict_do_update(
        index_elements=["app_id", "id"], set_={k: ins.excluded[k] for k in row if k not in ("app_id", "id")}
    ))
    counted = 0
    if changed:
        counted = await rebuild_rule(session, app_id, kind, rule_id)
        await rebuild_rule_steps(session, app_id, kind, rule_id)
    return old is None, changed, counted


async def save_page(session: AsyncSession, app_id: str, page_id: str, data: PageIn) -> Saved:
    """Create or replace a page; the caller commits. Raises DefinitionError."""
    rule = check_page(page_id, data)
    created, rebuilt, counted = await _save(session, "page", app_id, page_id, {"name": data.name, "rule": rule},
                                            ("rule",))
    return Saved(await get_page(session, app_id, page_id), created, rebuilt, counted)


async def save_feature(session: AsyncSession, app_id: str, feature_id: str, data: FeatureIn) -> Saved:
    """Create or replace a feature; the caller commits. Raises DefinitionError."""
    selector, page = check_feature(feature_id, data)
    created, rebuilt, counted = await _save(
        session, "feature", app_id, feature_id, {"name": data.name, "selector": selector, "page": page},
        ("selector", "page"),
    )
    return Saved(await get_feature(session, app_id, feature_id), created, rebuilt, counted)


async def delete_definition(session: AsyncSession, kind: str, app_id: str, rule_id: str) -> None:
    """Delete a page or feature and its roll-up rows (the steps of its events are recomputed); the caller
    commits. Raises NoSuchDefinition."""
    model = _MODELS[kind]
    await hold_rules(session, app_id, change=True)
    gone = await session.execute(
        delete(model).where(model.app_id == app_id, model.id == rule_id).execution_options(synchronize_session=False)
    )
    if not gone.rowcount:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed Result
        raise NoSuchDefinition(f"no {kind} {rule_id!r} in this app")
    table: Table = DailyUsage.__table__  # type: ignore[assignment]  # typed FromClause; declarative maps a Table
    await session.execute(delete(table).where(table.c.app_id == app_id, table.c.kind == kind, table.c.key == rule_id))
    await drop_rule_first_days(session, app_id, kind, rule_id)
    await rebuild_rule_steps(session, app_id, kind, rule_id)


# --- untagged clicks ---------------------------------------------------------------------------


def suggest_selector(element: dict[str, Any]) -> str:
    """A selector matching this element: its id, a data attribute, or its place under the nearest id."""
    tag = escape_ident(str(element.get("tag") or "*"))
    candidates: list[str] = []
    if element.get("id"):
        candidates.append("#" + escape_ident(str(element["id"])))
    for name, value in sorted((element.get("attrs") or {}).items()):
        candidates.append(f'{tag}[{escape_ident(str(name))}="{str(value).replace(chr(92), "").replace(chr(34), "")}"]')
    segments = [s.strip() for s in str(element.get("path") or "").split(" > ") if s.strip()]
    if segments:
        anchor = next((s for s in reversed(segments[:-1]) if "#" in s), None)
        if anchor:
            candidates.append(f"{anchor} {segments[-1]}")
        candidates.append(" > ".join(segments[-3:]))
        candidates.append(" > ".join(segments))
    candidates.append(tag)
    for candidate in candidates:
        try:
            if parse_selector(candidate).matches(element):
                return candidate
        except SelectorError:
            continue
    return tag


async def untagged_clicks(session: AsyncSession, app_id: str, since: datetime, limit: int) -> list[UntaggedClick]:
    """The most-clicked elements since ``since`` whose clicks match no feature, most clicks first.

    Clicks are grouped by (path, id, text); a click that some feature matches (on its page) is
    not counted, so an element tagged only on one page still shows for the others.
    """
    book = await load_rule_book(session, app_id)
    element = cast(Event.props["element"], Text)
    groups = (await session.execute(
        select(element, Event.url, func.count(), func.max(Event.ts))
        .where(Event.app_id == app_id, Event.type == "click", Event.ts >= since)
        .group_by(element, Event.url)
    )).all()
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for raw, url, clicks, last in groups:
        try:
            described = json.loads(raw) if raw else None
        except ValueError:
            continue
        if not isinstance(described, dict) or book.features_for(described, url):
            continue
        key = (str(described.get("path") or ""), str(described.get("id") or ""), str(described.get("text") or ""))
        entry = found.setdefault(key, {"element": described, "clicks": 0, "last": last, "url": url, "url_clicks": 0})
        entry["clicks"] += clicks
        entry["last"] = max(entry["last"], last)
        if clicks > entry["url_clicks"]:
            entry["url"], entry["url_clicks"] = url, clicks
    ranked = sorted(found.items(), key=lambda item: (-item[1]["clicks"], item[0]))[:limit]
    return [
        UntaggedClick(
            tag=str(e["element"].get("tag") or ""), id=key[1], text=key[2], path=key[0],
            classes=[str(c) for c in e["element"].get("classes") or []],
            attrs={str(k): str(v) for k, v in (e["element"].get("attrs") or {}).items()},
            clicks=e["clicks"], last_clicked=as_utc(e["last"]), example_url=e["url"],
            suggested_selector=suggest_selector(e["element"]),
        )
        for key, e in ranked
    ]
