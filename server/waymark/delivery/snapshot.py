"""Each app's published guides, compiled and held in memory; rebuilt when the app's version moves.

Every worker keeps its own copy. ``apps.guides_version`` in the database is bumped by
each push or rollback, so a worker that checks it (at most every
``check_seconds``) learns that its copy is stale, whichever worker published. The app's
runtime settings (:mod:`waymark.runtime.profile`) are read again at every check: they
change without a publish. The store is also the :class:`~waymark.runtime.profile.ProfileSource`
ingestion reads them from.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.db.models import Guide, GuideVersion
from waymark.guides.compiler import CompiledGuide, compile_guide
from waymark.guides.targeting import split_url
from waymark.runtime.profile import AppSettingsRow, GuideRule, RuntimeProfile, read_app_settings, read_profile

__all__ = ["Snapshot", "SnapshotStore"]

log = logging.getLogger("waymark.snapshot")
_PAGE_CACHE_SIZE = 4096
_AUDIENCE_CACHE_SIZE = 4096


class Snapshot:
    """The published guides of one app at one version, highest priority first, with the app's runtime profile."""

    __slots__ = (
        "api_guides",
        "app_id",
        "audiences",
        "by_id",
        "by_page",
        "gated",
        "guides",
        "order",
        "page_cache",
        "page_tests",
        "profile",
        "uses_cohorts",
        "version",
    )

    def __init__(self, app_id: str, version: int, settings: AppSettingsRow, guides: list[CompiledGuide]) -> None:
        self.app_id = app_id
        self.version = version
        self.profile = RuntimeProfile(app_id, settings, {
            g.id: GuideRule(g.ignore_throttle, g.snooze_days, g.throttle_seconds) for g in guides
        })
        """Replaced at every staleness check (settings change without a publish)."""
        self.guides = sorted(guides, key=lambda g: (-g.priority, g.id))
        self.gated = frozenset(g.id for g in guides if g.holdout is not None or g.survey is not None)
        """Guides that hold out or sample visitors: delivery draws for these only."""
        self.by_id = {g.id: g for g in self.guides}
        self.uses_cohorts = any(g.cohorts for g in guides)
        """Whether a segment names a cohort: only then does delivery read the visitor's cohorts."""
        self.order = {g.id: i for i, g in enumerate(self.guides)}
        # Guides that start on the same pages share one test, run once per request.
        slots: dict[bytes, int] = {}
        self.page_tests: list[CompiledGuide] = []
        self.by_page: list[list[CompiledGuide]] = []
        for guide in self.guides:
            slot = slots.setdefault(guide.page_key, len(slots))
            if slot == len(self.page_tests):
                self.page_tests.append(guide)
                self.by_page.append([])
            self.by_page[slot].append(guide)
        self.api_guides = [g for g in self.guides if g.mode == "api"]
        self.page_cache: dict[str, list[CompiledGuide]] = {}
        self.audiences: dict[str, frozenset[str]] = {}
        """Who-may-see answers per (visitor, tenant, locale, metadata): a visitor's session repeats them."""
        """URL → guides for it: a product has few distinct URLs, each asked for again and again."""

    def audience(
        self, key: str, visitor: Mapping[str, Any], tenant: Mapping[str, Any], locale: str | None
    ) -> frozenset[str]:
        """The ids of the guides whose locale and segment rules let this visitor see them."""
        found = self.audiences.get(key)
        if found is None:
            found = frozenset(
                g.id for g in self.guides
                if (g.only_locales is None or g.allows_locale(locale))
                and (g.segment is None or g.segment(visitor, tenant))
            )
            if len(self.audiences) >= _AUDIENCE_CACHE_SIZE:
                self.audiences.clear()
            self.audiences[key] = found
        return found

    def on_page(self, url: str) -> list[CompiledGuide]:
        """The guides that may start on ``url``, plus those started from the JS API (any page)."""
        found = self.page_cache.get(url)
        if found is None:
            parts = split_url(url)
            found = list(self.api_guides)
            for test, guides in zip(self.page_tests, self.by_page, strict=True):
                if test.on_start_page(parts):
                    found.extend(g for g in guides if g.mode != "api")
            found.sort(key=lambda g: self.order[g.id])
            if len(self.page_cache) >= _PAGE_CACHE_SIZE:
                self.page_cache.clear()
            self.page_cache[url] = found
        return found


class SnapshotStore:
    __slots__ = ("_check_seconds", "_checked", "_locks", "_sessionmaker", "_snapshots", "_tasks")

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], check_seconds: float) -> None:
        self._sessionmaker = sessionmaker
        self._check_seconds = check_seconds
        self._snapshots: dict[str, Snapshot] = {}
        self._checked: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: dict[str, asyncio.Task[Snapshot]] = {}
        """At most one background staleness check per app at a time."""

    async def profile(self, app_id: str) -> RuntimeProfile:
        """The app's runtime profile, as fresh as its snapshot (see :class:`~waymark.runtime.profile.ProfileSource`)."""
        return (await self.get(app_id)).profile

    def invalidate(self, app_id: str) -> None:
        """Make the next ``get`` rebuild from the database (this worker just published)."""
        self._snapshots.pop(app_id, None)
        self._checked.pop(app_id, None)

    async def get(self, app_id: str) -> Snapshot:
        """The app's snapshot; a due staleness check runs in the background while the current one is served."""
        current = self._snapshots.get(app_id)
        if current is None:
            return await self._refresh(app_id)
        age = time.monotonic() - self._checked.get(app_id, 0.0)
        if age >= self._check_seconds:
            if age >= 2 * self._check_seconds:
                # Not checked for a while (an idle worker): check before answering, so that
                # no answer is ever staler than about two check intervals.
                return await self._refresh(app_id)
            if app_id not in self._tasks:
                task = asyncio.get_running_loop().create_task(self._refresh(app_id))
                self._tasks[app_id] = task
                task.add_done_callback(lambda _: self._tasks.pop(app_id, None))
        return current

    async def _refresh(self, app_id: str) -> Snapshot:
        lock = self._locks.setdefault(app_id, asyncio.Lock())
        async with lock:
            current = self._snapshots.get(app_id)
            if current is not None and time.monotonic() - self._checked.get(app_id, 0.0) < self._check_seconds:
                return current
            async with self._sessionmaker() as session:
                settings = await read_app_settings(session, app_id)
                if current is None or current.version != settings.guides_version:
                    current = await self._build(session, app_id, settings)
                    self._snapshots[app_id] = current
                current.profile = await read_profile(session, app_id, settings, current.profile.guide_rules)
            self._checked[app_id] = time.monotonic()
            return current

    async def _build(self, session: AsyncSession, app_id: str, settings: AppSettingsRow) -> Snapshot:
        rows = await session.execute(
            select(GuideVersion.guide_id, GuideVersion.version, GuideVersion.definition)
            .join(
                Guide,
                and_(
                    Guide.app_id == GuideVersion.app_id,
                    Guide.id == GuideVersion.guide_id,
                    Guide.published_version == GuideVersion.version,
                ),
            )
            .where(GuideVersion.app_id == app_id)
        )
        compiled: list[CompiledGuide] = []
        for guide_id, guide_version, definition in rows.tuples().all():
            try:
                compiled.append(compile_guide(definition, guide_version))
            except Exception:  # a stored guide that no longer compiles must not take delivery down
                log.exception("guide %s v%s of app %s does not compile; skipped", guide_id, guide_version, app_id)
        return Snapshot(app_id, settings.guides_version, settings, compiled)
