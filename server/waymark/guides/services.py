"""Publishing guides: atomic push of many files, and rollback to the previous version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import App, Guide, GuideVersion, utcnow

__all__ = [
    "ArchiveResult",
    "GuideSummary",
    "NoSuchGuide",
    "NothingToRollBack",
    "PublishHook",
    "PublishItem",
    "PublishRefused",
    "PublishResult",
    "VersionInfo",
    "archive",
    "archive_missing",
    "list_guides",
    "list_versions",
    "publish",
    "rollback",
]


class PublishRefused(ValueError):
    """A publish hook refused the push: ``problems`` says why, one line each; nothing is published."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class PublishHook(Protocol):
    """What another domain does with a push, in the same transaction, before the guides are published.

    Registered in :mod:`waymark.wiring` (policies record their versions this way), so publishing
    knows no domain by name. Raising :class:`PublishRefused` refuses the whole push.
    """

    async def before_publish(self, session: AsyncSession, app_id: str, items: Sequence[PublishItem]) -> None: ...


class PublishItem(msgspec.Struct):
    """One validated guide file, ready to publish."""

    id: str
    name: str
    kind: str
    definition: dict[str, Any]
    source: str | None = None


class PublishResult(msgspec.Struct):
    id: str
    version: int
    changed: bool
    """False when the file equals the published version: no new version is made."""


class ArchiveResult(msgspec.Struct):
    id: str
    version: int | None
    """The version that was published until now; ``None`` when the guide was archived already."""
    changed: bool


class GuideSummary(msgspec.Struct):
    id: str
    name: str
    kind: str
    published_version: int | None
    """``None`` once archived: the guide is no longer delivered, its versions are kept."""
    latest_version: int
    archived: bool = False


class VersionInfo(msgspec.Struct):
    version: int
    published: bool
    source: str | None
    created_at: str


class NothingToRollBack(LookupError):
    """The guide does not exist or has no earlier version."""


class NoSuchGuide(NothingToRollBack):
    """No guide with this id in the app."""


async def _bump_app(session: AsyncSession, app_id: str) -> int:
    """Tell every worker (through the database) that this app's snapshot changed."""
    await session.execute(update(App).where(App.id == app_id).values(guides_version=App.guides_version + 1))
    return int(await session.scalar(select(App.guides_version).where(App.id == app_id)) or 0)


async def publish(
    session: AsyncSession, app_id: str, items: list[PublishItem], hooks: Sequence[PublishHook]
) -> list[PublishResult]:
    """Publish every item as a new version in one transaction (all or nothing). The caller commits.

    Each hook sees the items first and may refuse the push (:class:`PublishRefused`).
    """
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise ValueError("the same guide id appears twice in one push")
    for hook in hooks:
        await hook.before_publish(session, app_id, items)
    guides = {
        g.id: g
        for g in (await session.scalars(select(Guide).where(Guide.app_id == app_id, Guide.id.in_(ids)))).all()
    }
    results: list[PublishResult] = []
    for item in items:
        guide = guides.get(item.id)
        latest = int(
            await session.scalar(
                select(func.coalesce(func.max(GuideVersion.version), 0)).where(
                    GuideVersion.app_id == app_id, GuideVersion.guide_id == item.id
                )
            )
            or 0
        )
        if guide is not None:
            # An archived guide pushed again as it was is published again under its last version.
            compared = guide.published_version or latest
            current = await session.scalar(
                select(GuideVersion.definition).where(
                    GuideVersion.app_id == app_id,
                    GuideVersion.guide_id == item.id,
                    GuideVersion.version == compared,
                )
            )
            if current == item.definition:
                unarchived = guide.published_version is None
                guide.published_version = compared
                results.append(PublishResult(id=item.id, version=compared, changed=unarchived))
                continue
        version = latest + 1
        session.add(GuideVersion(app_id=app_id, guide_id=item.id, version=version,
                                 definition=item.definition, source=item.source))
        if guide is None:
            guide = Guide(app_id=app_id, id=item.id, name=item.name, kind=item.kind)
            session.add(guide)
        guide.name, guide.kind, guide.published_version, guide.updated_at = (
            item.name, item.kind, version, utcnow()
        )
        results.append(PublishResult(id=item.id, version=version, changed=True))
    if any(r.changed for r in results):
        await session.flush()
        await _bump_app(session, app_id)
    return results


async def rollback(session: AsyncSession, app_id: str, guide_id: str) -> PublishResult:
    """Publish the version before the published one again. The caller commits."""
    guide = await session.scalar(select(Guide).where(Guide.app_id == app_id, Guide.id == guide_id))
    if guide is None:
        raise NoSuchGuide(f"no guide {guide_id!r} in this app")
    if guide.published_version is None:
        raise NothingToRollBack(f"guide {guide_id!r} is archived; push its file again to publish it")
    current = guide.published_version
    previous = await session.scalar(
        select(func.max(GuideVersion.version)).where(
            GuideVersion.app_id == app_id, GuideVersion.guide_id == guide_id, GuideVersion.version < current
        )
    )
    if previous is None:
        raise NothingToRollBack(f"guide {guide_id!r} has no version before v{current}")
    definition = await session.scalar(
        select(GuideVersion.definition).where(
            GuideVersion.app_id == app_id, GuideVersion.guide_id == guide_id, GuideVersion.version == previous
        )
    )
    guide.published_version = previous
    guide.name = str((definition or {}).get("name", guide.name))
    guide.updated_at = utcnow()
    await session.flush()
    await _bump_app(session, app_id)
    return PublishResult(id=guide_id, version=previous, changed=True)


async def archive(session: AsyncSession, app_id: str, guide_id: str) -> ArchiveResult:
    """Stop delivering a guide; its versions, its visitors' state and its events are kept. The caller commits.

    Works for a policy too: its prompt stops, its versions and evidence are untouched.
    """
    guide = await session.scalar(select(Guide).where(Guide.app_id == app_id, Guide.id == guide_id))
    if guide is None:
        raise NoSuchGuide(f"no guide {guide_id!r} in this app")
    was = guide.published_version
    if was is None:
        return ArchiveResult(id=guide_id, version=None, changed=False)
    guide.published_version, guide.updated_at = None, utcnow()
    await session.flush()
    await _bump_app(session, app_id)
    return ArchiveResult(id=guide_id, version=was, changed=True)


async def archive_missing(session: AsyncSession, app_id: str, keep: set[str]) -> list[ArchiveResult]:
    """Archive every published guide whose id is not in ``keep`` (a push's files), policies excepted.

    A policy is archived only by name (:func:`archive`): its prompt is a legal record's source, and
    policies may be managed over REST, outside the files. The caller commits.
    """
    gone = (await session.scalars(
        select(Guide).where(Guide.app_id == app_id, Guide.published_version.is_not(None), Guide.kind != "policy")
        .order_by(Guide.id)
    )).all()
    results: list[ArchiveResult] = []
    for guide in gone:
        if guide.id in keep:
            continue
        results.append(ArchiveResult(id=guide.id, version=guide.published_version, changed=True))
        guide.published_version, guide.updated_at = None, utcnow()
    if results:
        await session.flush()
        await _bump_app(session, app_id)
    return results


async def list_guides(session: AsyncSession, app_id: str) -> list[GuideSummary]:
    latest = (
        select(GuideVersion.guide_id, func.max(GuideVersion.version).label("latest"))
        .where(GuideVersion.app_id == app_id)
        .group_by(GuideVersion.guide_id)
        .subquery()
    )
    rows = await session.execute(
        select(Guide, latest.c.latest)
        .join(latest, latest.c.guide_id == Guide.id)
        .where(Guide.app_id == app_id)
        .order_by(Guide.id)
    )
    return [
        GuideSummary(id=g.id, name=g.name, kind=g.kind, published_version=g.published_version,
                     latest_version=int(n), archived=g.published_version is None)
        for g, n in rows.tuples().all()
    ]


async def list_versions(session: AsyncSession, app_id: str, guide_id: str) -> list[VersionInfo]:
    guide = await session.scalar(select(Guide).where(Guide.app_id == app_id, Guide.id == guide_id))
    if guide is None:
        raise NoSuchGuide(f"no guide {guide_id!r} in this app")
    versions = (
        await session.scalars(
            select(GuideVersion)
            .where(GuideVersion.app_id == app_id, GuideVersion.guide_id == guide_id)
            .order_by(GuideVersion.version.desc())
        )
    ).all()
    return [
        VersionInfo(version=v.version, published=v.version == guide.published_version, source=v.source,
                    created_at=v.created_at.isoformat())
        for v in versions
    ]
