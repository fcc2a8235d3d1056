"""One app's runtime settings: the attention budget, privacy, identity and each guide's snooze and budget rules.

Delivery and ingestion both read them; neither owns them. Only this package and the
database layer are imported here, so ingestion never depends on delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.lexicon_models import LexiconEvent
from waymark.db.models import App, IdentitySecret, Tenant

__all__ = ["AppSettingsRow", "GuideRule", "ProfileSource", "RuntimeProfile", "read_app_settings", "read_profile"]


class GuideRule(NamedTuple):
    """What one published guide says about the budget and snoozing."""

    ignore_throttle: bool = False
    """Neither counted by nor blocked by the budget."""
    snooze_days: int | None = None
    throttle_seconds: int | None = None
    """Replaces the app's interval for this guide (it still counts against the budget)."""


_DEFAULT_RULE = GuideRule()


class AppSettingsRow(NamedTuple):
    guides_version: int
    throttle_seconds: int
    max_auto_guides_per_day: int
    honor_dnt: bool
    require_identity: bool


class RuntimeProfile:
    """The settings of one app as one worker last read them."""

    __slots__ = (
        "app_id",
        "blocked_events",
        "guide_rules",
        "honor_dnt",
        "identity_secrets",
        "max_auto_per_day",
        "opted_out_tenants",
        "require_identity",
        "throttle_seconds",
    )

    def __init__(
        self, app_id: str, settings: AppSettingsRow, guide_rules: Mapping[str, GuideRule],
        identity_secrets: tuple[str, ...] = (), opted_out_tenants: frozenset[str] = frozenset(),
        blocked_events: frozenset[str] = frozenset(),
    ) -> None:
        self.app_id = app_id
        self.throttle_seconds = settings.throttle_seconds
        """At most one automatic guide per visitor per this interval."""
        self.max_auto_per_day = settings.max_auto_guides_per_day
        """At most this many automatic guides per visitor per UTC day; 0 = no cap."""
        self.honor_dnt = settings.honor_dnt
        """The widget sends nothing for visitors whose browser asks not to be tracked."""
        self.require_identity = settings.require_identity
        """Only visitors signed by the host app (see waymark.identity) get guides or send events."""
        self.identity_secrets = identity_secrets
        self.opted_out_tenants = opted_out_tenants
        """Tenants that stopped collection: the widget sends nothing for their visitors."""
        self.blocked_events = blocked_events
        """Track event names the lexicon blocks: ingestion drops them (and counts them) before writing."""
        self.guide_rules = dict(guide_rules)

    def counts_for_throttle(self, guide_id: str) -> bool:
        """Whether showing this guide automatically uses up the visitor's budget."""
        return not self.guide_rules.get(guide_id, _DEFAULT_RULE).ignore_throttle

    def snooze_days(self, guide_id: str) -> int:
        return self.guide_rules.get(guide_id, _DEFAULT_RULE).snooze_days or 1


class ProfileSource(Protocol):
    """Where a worker gets an app's current profile (the delivery snapshot store keeps them fresh)."""

    async def profile(self, app_id: str) -> RuntimeProfile: ...


async def read_app_settings(session: AsyncSession, app_id: str) -> AppSettingsRow:
    row = (
        await session.execute(
            select(App.guides_version, App.throttle_seconds, App.max_auto_guides_per_day, App.honor_dnt,
                   App.require_identity).where(App.id == app_id)
        )
    ).one()
    return AppSettingsRow(int(row.guides_version), int(row.throttle_seconds), int(row.max_auto_guides_per_day or 0),
                          bool(row.honor_dnt), bool(row.require_identity))


async def read_profile(
    session: AsyncSession, app_id: str, settings: AppSettingsRow, guide_rules: Mapping[str, GuideRule]
) -> RuntimeProfile:
    """The profile from ``settings`` plus the identity secrets, opted-out tenants and blocked event names, read now."""
    secrets: tuple[str, ...] = ()
    if settings.require_identity:
        secrets = tuple(
            (await session.scalars(
                select(IdentitySecret.secret)
                .where(IdentitySecret.app_id == app_id, IdentitySecret.revoked_at.is_(None))
                .order_by(IdentitySecret.id.desc())
            )).all()
        )
    opted_out = frozenset(
        (await session.scalars(
            select(Tenant.id).where(Tenant.app_id == app_id, Tenant.opted_out.is_(True))
        )).all()
    )
    blocked = frozenset(
        (await session.scalars(
            select(LexiconEvent.name).where(LexiconEvent.app_id == app_id, LexiconEvent.status == "blocked")
        )).all()
    )
    return RuntimeProfile(app_id, settings, guide_rules, secrets, opted_out, blocked)
