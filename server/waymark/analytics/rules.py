"""Each app's page and feature rules, compiled and cached per worker; recompiled when the definitions move.

The check is a fingerprint (count and newest ``updated_at`` of each table) read inside the
caller's transaction, so an ingest never rolls events up with rules older than those
committed before it took its lock (see :func:`hold_rules`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.selectors import Selector, describe_target, parse_selector
from waymark.db.models import FeatureDefinition, PageDefinition
from waymark.guides.schemas import PageRule
from waymark.guides.targeting import PageMatcher, compile_page_rule, split_url

__all__ = ["RuleBook", "RuleCache", "hold_rules", "load_rule_book", "page_matcher", "rule_cache"]

log = logging.getLogger("waymark.analytics")
_CACHE_SIZE = 8192

Fingerprint = tuple[Any, ...]


def page_matcher(rule: str | Mapping[str, Any], field: str = "rule") -> PageMatcher:
    """Compile a stored or submitted page rule (a path glob, or ``{path, host, query}``); raises RuleError."""
    spec = rule if isinstance(rule, str) else msgspec.convert(dict(rule), PageRule)
    return compile_page_rule(spec, field)


class RuleBook:
    """The compiled pages and features of one app, with per-URL and per-element answers cached."""

    __slots__ = ("_clicks", "_urls", "app_id", "features", "fingerprint", "pages")

    def __init__(
        self,
        app_id: str,
        fingerprint: Fingerprint,
        pages: Iterable[tuple[str, PageMatcher]],
        features: Iterable[tuple[str, Selector, PageMatcher | None]],
    ) -> None:
        self.app_id = app_id
        self.fingerprint = fingerprint
        self.pages = tuple(pages)
        self.features = tuple(features)
        self._urls: dict[str | None, tuple[str, ...]] = {}
        self._clicks: dict[tuple[Any, ...], tuple[str, ...]] = {}

    @classmethod
    def compile(
        cls,
        app_id: str,
        fingerprint: Fingerprint,
        pages: Iterable[tuple[str, Mapping[str, Any]]],
        features: Iterable[tuple[str, str, Mapping[str, Any] | None]],
    ) -> RuleBook:
        """Compile stored definitions; one that no longer compiles is logged and left out, never fatal."""
        compiled_pages: list[tuple[str, PageMatcher]] = []
        for page_id, rule in pages:
            try:
                compiled_pages.append((page_id, page_matcher(rule)))
            except (ValueError, msgspec.ValidationError):
                log.exception("page %s of app %s does not compile; skipped", page_id, app_id)
        compiled_features: list[tuple[str, Selector, PageMatcher | None]] = []
        for feature_id, selector, page in features:
            try:
                compiled_features.append(
                    (feature_id, parse_selector(selector), page_matcher(page, "page") if page else None)
                )
            except (ValueError, msgspec.ValidationError):
                log.exception("feature %s of app %s does not compile; skipped", feature_id, app_id)
        return cls(app_id, fingerprint, compiled_pages, compiled_features)

    def pages_for(self, url: str | None) -> tuple[str, ...]:
        """Ids of the pages whose rule matches ``url`` (every one that does)."""
        found = self._urls.get(url)
        if found is None:
            if url and self.pages:
                parts = split_url(url)
                found = tuple(page_id for page_id, matcher in self.pages if matcher.matches(parts))
            else:
                found = ()
            if len(self._urls) >= _CACHE_SIZE:
                self._urls.clear()
            self._urls[url] = found
        return found

    def features_for(self, element: Mapping[str, Any] | Any, url: str | None) -> tuple[str, ...]:
        """Ids of the features whose selector (and page, if any) match this click."""
        if not self.features:
            return ()
        get = element.get if isinstance(element, Mapping) else lambda k: getattr(element, k, None)
        attrs = get("attrs") or {}
        key = (get("tag"), get("id"), get("path"), tuple(get("classes") or ()),
               tuple(sorted(attrs.items())) if isinstance(attrs, Mapping) else (), url)
        found = self._clicks.get(key)
        if found is None:
            subject, ancestors = describe_target(element)
            parts = split_url(url) if url else None
            found = tuple(
                feature_id for feature_id, selector, page in self.features
                if selector.matches_target(subject, ancestors)
                and (page is None or (parts is not None and page.matches(parts)))
            )
            if len(self._clicks) >= _CACHE_SIZE:
                self._clicks.clear()
            self._clicks[key] = found
        return found


_FINGERPRINT = text(
    "SELECT (SELECT count(*) FROM page_definitions WHERE app_id = :app_id), "
    "(SELECT max(updated_at) FROM page_definitions WHERE app_id = :app_id), "
    "(SELECT count(*) FROM feature_definitions WHERE app_id = :app_id), "
    "(SELECT max(updated_at) FROM feature_definitions WHERE app_id = :app_id)"
)
"""Plain SQL: it runs on every ingested batch, and a textual statement skips building and caching a select."""


async def _fingerprint(session: AsyncSession, app_id: str) -> Fingerprint:
    row = (await session.execute(_FINGERPRINT, {"app_id": app_id})).one()
    return tuple(str(v) for v in row)


async def load_rule_book(
    session: AsyncSession, app_id: str, only: tuple[str, str] | None = None, fingerprint: Fingerprint = ()
) -> RuleBook:
    """Compile the app's definitions from the database; ``only=(kind, id)`` compiles that one rule alone."""
    pages = select(PageDefinition.id, PageDefinition.rule).where(PageDefinition.app_id == app_id)
    features = select(FeatureDefinition.id, FeatureDefinition.selector, FeatureDefinition.page).where(
        FeatureDefinition.app_id == app_id
    )
    page_rows: list[Any] = []
    feature_rows: list[Any] = []
    if only is None or only[0] == "page":
        if only is not None:
            pages = pages.where(PageDefinition.id == only[1])
        page_rows = list((await session.execute(pages.order_by(PageDefinition.id))).all())
    if only is None or only[0] == "feature":
        if only is not None:
            features = features.where(FeatureDefinition.id == only[1])
        feature_rows = list((await session.execute(features.order_by(FeatureDefinition.id))).all())
    return RuleBook.compile(app_id, fingerprint, page_rows, feature_rows)


_CHECKED = "waymark.rules_checked"
"""``session.info`` key: app → (the transaction that read the fingerprint, the rules it found)."""


class RuleCache:
    """Per worker: app → compiled rules, rebuilt when the definitions' fingerprint changes."""

    __slots__ = ("_books",)

    def __init__(self) -> None:
        self._books: dict[tuple[str, str], RuleBook] = {}

    async def get(self, session: AsyncSession, app_id: str) -> RuleBook:
        """The app's rules as committed; one small query per transaction checks that the cached copy is current.

        Ingestion asks once per projection (roll-ups, steps) and per batch of a group commit, all in one
        transaction that holds the rules still (:func:`hold_rules`): the first answer of a transaction stands for
        the rest of it.
        """
        transaction = session.get_transaction()
        checked: dict[str, tuple[object, RuleBook]] = session.info.setdefault(_CHECKED, {})
        seen = checked.get(app_id)
        if seen is not None and transaction is not None and seen[0] is transaction:
            return seen[1]
        key = (session.get_bind().engine.url.render_as_string(), app_id)
        fingerprint = await _fingerprint(session, app_id)
        book = self._books.get(key)
        if book is None or book.fingerprint != fingerprint:
            book = await load_rule_book(session, app_id, fingerprint=fingerprint)
            self._books[key] = book
        checked[app_id] = (session.get_transaction(), book)
        return book


rule_cache = RuleCache()
"""The worker's cache: ingestion has only a session to hand, so the cache is reached from here."""


def _lock_key(app_id: str) -> int:
    digest = hashlib.blake2b(f"waymark.analytics.rules:{app_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def hold_rules(session: AsyncSession, app_id: str, change: bool) -> None:
    """Order rule changes against ingestion for one app, until the transaction ends.

    A rule change (``change=True``) waits for ingests in flight to commit, and ingests
    wait for it: so an ingest either commits before the rebuild reads events (and its
    roll-up rows for the old rule are deleted and recounted), or rolls up with the new
    rule. PostgreSQL: a transaction-scoped advisory lock, shared for ingests. SQLite needs
    nothing: its one writer holds the write lock from the first write to the commit, and
    both sides write before they read rules or events.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if change else "pg_advisory_xact_lock_shared"
    await session.execute(text(f"SELECT {function}(:key)"), {"key": _lock_key(app_id)})
