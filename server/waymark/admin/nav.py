"""The admin's navigation, worked out from the principal's grants and the page's app and tenant (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from waymark.access.principal import Action, Grant, Role

__all__ = ["NavLink", "NavSection", "navigation"]


@dataclass(frozen=True, slots=True)
class NavLink:
    label: str
    href: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class NavSection:
    title: str
    links: tuple[NavLink, ...]


_APP_PAGES: tuple[tuple[str, str, Action], ...] = (
    ("Overview", "", Action.READ_APP),
    ("Tenants", "tenants", Action.READ_APP),
    ("Milestones", "milestones", Action.READ_APP),
    ("Guides", "guides", Action.READ_APP),
    ("Trends", "trends", Action.READ_APP),
    ("Retention", "retention", Action.READ_APP),
    ("Funnels", "funnels", Action.READ_APP),
    ("Paths", "paths", Action.READ_APP),
    ("Cohorts", "cohorts", Action.READ_APP),
    ("NPS", "nps", Action.READ_APP),
    ("Polls", "polls", Action.READ_APP),
    ("Policies", "policies", Action.READ_APP),
    ("Benchmarks", "benchmarks", Action.READ_APP),
    ("Signal", "signal", Action.READ_APP),
    ("Impact", "impact", Action.READ_APP),
    ("Live", "live", Action.READ_APP),
    ("Lexicon", "lexicon", Action.READ_APP),
    ("Alerts", "alerts", Action.READ_APP),
    ("Content", "content", Action.READ_APP),
    ("Keys", "keys", Action.MANAGE),
    ("Webhooks", "webhooks", Action.MANAGE),
    ("Settings", "settings", Action.MANAGE),
    ("Privacy", "privacy", Action.MANAGE),
    ("People", "people", Action.MANAGE),
    ("Audit log", "audit", Action.MANAGE),
)
_TENANT_PAGES: tuple[tuple[str, str], ...] = (
    ("Overview", ""),
    ("Trends", "trends"),
    ("Retention", "retention"),
    ("NPS", "nps"),
    ("Policies", "policies"),
    ("Evidence", "evidence"),
    ("Benchmarks", "benchmarks"),
)


def _link(label: str, href: str, path: str) -> NavLink:
    return NavLink(label, href, current=path.rstrip("/") == href.rstrip("/"))


def navigation(grants: Sequence[Grant], app_id: str | None, tenant_id: str | None, path: str) -> list[NavSection]:
    """The sections a person sees: their apps, then the current app's pages, then the current tenant's.

    Only pages the grant allows are listed, so a tenant admin's navigation never names app-wide pages or
    another tenant.
    """
    sections: list[NavSection] = []
    readers = [g for g in grants if g.allows(Action.READ_APP)]
    if readers:
        sections.append(NavSection("Apps", tuple(
            [_link("All apps", "/admin/apps", path)]
            + [_link(g.app_id, f"/admin/apps/{g.app_id}/", path) for g in readers if g.app_id != app_id]
        )))
    grant = next((g for g in grants if g.app_id == app_id), None)
    if grant is not None and grant.role is not Role.TENANT_ADMIN:
        base = f"/admin/apps/{app_id}/"
        sections.append(NavSection(f"App {app_id}", tuple(
            _link(label, base + page, path) for label, page, action in _APP_PAGES if grant.allows(action)
        )))
    own_tenant = [g for g in grants if g.role is Role.TENANT_ADMIN and g.tenant_id is not None]
    for tenant_grant in own_tenant:
        if app_id is not None and tenant_grant.app_id != app_id:
            continue
        sections.append(_tenant_section(tenant_grant.app_id, str(tenant_grant.tenant_id), path))
    if grant is not None and grant.role is not Role.TENANT_ADMIN and tenant_id is not None:
        sections.append(_tenant_section(grant.app_id, tenant_id, path))
    return sections


def _tenant_section(app_id: str, tenant_id: str, path: str) -> NavSection:
    base = f"/admin/apps/{app_id}/tenants/{quote(tenant_id, safe='')}/"
    return NavSection(f"Tenant {tenant_id}", tuple(_link(label, base + page, path) for label, page in _TENANT_PAGES))
