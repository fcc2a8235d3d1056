"""The demo's customers: 22 tenants in three industries (pharma too small for a benchmark) and their people."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

__all__ = ["INDUSTRIES", "TENANTS", "DemoTenant", "DemoVisitor", "everyone", "tenant_traits", "visitor_traits",
           "visitors_of"]

INDUSTRIES = ("retail", "software", "pharma")


@dataclass(frozen=True, slots=True)
class DemoTenant:
    """A customer organisation of Ledgerly, with the habits its synthetic history is drawn from."""

    id: str
    name: str
    industry: str
    plan: str
    size: int
    """Employees: the size band of benchmarks comes from it."""
    locale: str
    """The language most of its people use."""
    crm_id: str
    engagement: float
    """The chance that one of its people uses Ledgerly on a given weekday (stickiness differs between tenants)."""
    trend: float
    """How engagement moves over the weeks seeded: -0.5 (fading) … +0.5 (growing)."""
    mood: float
    """The mean NPS score its people give."""


def _t(id: str, name: str, industry: str, plan: str, size: int, locale: str, n: int,
       engagement: float, trend: float, mood: float) -> DemoTenant:
    return DemoTenant(id, name, industry, plan, size, locale, f"CRM-{n:05d}", engagement, trend, mood)


TENANTS: tuple[DemoTenant, ...] = (
    # retail: nine tenants
    _t("acme", "Acme Corp", "retail", "enterprise", 250, "en", 10041, 0.72, 0.10, 8.4),
    _t("northwind", "Northwind Traders", "retail", "pro", 80, "en", 10077, 0.55, 0.25, 7.6),
    _t("tailspin", "Tailspin Toys", "retail", "free", 15, "en", 10112, 0.30, -0.30, 5.9),
    _t("contoso", "Contoso Retail", "retail", "enterprise", 400, "en", 10158, 0.64, 0.00, 7.9),
    _t("fabrikam", "Fabrikam Home", "retail", "pro", 60, "en", 10203, 0.48, 0.15, 7.1),
    _t("wide-world", "Wide World Importers", "retail", "pro", 120, "en", 10236, 0.41, -0.10, 6.8),
    _t("bon-marche", "Bon Marché", "retail", "pro", 45, "fr", 10290, 0.52, 0.05, 7.4),
    _t("kaufhaus-krone", "Kaufhaus Krone", "retail", "enterprise", 300, "de", 10315, 0.68, 0.20, 8.1),
    _t("tienda-sol", "Tienda Sol", "retail", "free", 10, "es", 10349, 0.26, 0.35, 6.2),
    # software: ten tenants
    _t("initech", "Initech", "software", "pro", 60, "en", 20013, 0.58, -0.05, 6.5),
    _t("globex", "Globex", "software", "free", 12, "fr", 20058, 0.35, 0.30, 7.0),
    _t("hooli", "Hooli", "software", "enterprise", 900, "en", 20091, 0.80, 0.05, 8.8),
    _t("pied-piper", "Pied Piper", "software", "pro", 25, "en", 20124, 0.66, 0.40, 9.1),
    _t("massive-dynamic", "Massive Dynamic", "software", "enterprise", 600, "en", 20167, 0.61, -0.20, 6.9),
    _t("cyberdyne", "Cyberdyne Systems", "software", "pro", 150, "en", 20199, 0.47, 0.00, 7.3),
    _t("aperture", "Aperture Science", "software", "pro", 90, "en", 20230, 0.53, -0.35, 5.4),
    _t("tyrell", "Tyrell Corporation", "software", "enterprise", 350, "en", 20272, 0.70, 0.10, 8.0),
    _t("logiciel-bleu", "Logiciel Bleu", "software", "free", 8, "fr", 20305, 0.33, 0.15, 7.7),
    _t("datenwerk", "Datenwerk", "software", "pro", 40, "de", 20341, 0.57, 0.25, 8.3),
    # pharma: three tenants, fewer than a benchmark's k (5), so its peer group shows why it is hidden
    _t("umbrella", "Umbrella Corp", "pharma", "pro", 40, "en", 30022, 0.50, -0.10, 6.1),
    _t("nostrum", "Nostrum Labs", "pharma", "enterprise", 220, "en", 30064, 0.62, 0.05, 7.5),
    _t("helix", "Helix Pharma", "pharma", "pro", 70, "de", 30101, 0.44, 0.20, 7.2),
)

_FIRST = ("Maya", "Liam", "Sofia", "Noah", "Ava", "Lucas", "Zoe", "Ethan", "Iris", "Omar", "Lena", "Hugo",
          "Mila", "Felix", "Nora", "Yusuf", "Clara", "Mateo", "Elena", "Jonas", "Priya", "Theo", "Ines", "Kai")
_LAST = ("Chen", "Martin", "Garcia", "Müller", "Rossi", "Dubois", "Kowalski", "Nguyen", "Silva", "Okafor",
         "Jensen", "Moreau", "Schmidt", "Lopez", "Novak", "Tanaka", "Haddad", "Berg", "Costa", "Fischer")
_BROWSERS = ("Chrome", "Safari", "Edge", "Firefox")
_BROWSER_WEIGHTS = (55, 18, 15, 12)


@dataclass(frozen=True, slots=True)
class DemoVisitor:
    """One of a tenant's people."""

    id: str
    tenant: DemoTenant
    name: str
    role: str
    locale: str
    browser: str
    diligence: float
    """Multiplies the tenant's engagement: some people live in Ledgerly, some drop by."""
    joins: float
    """When they start using Ledgerly, as a share of the weeks seeded (0: from the first day)."""


def visitors_of(tenant: DemoTenant) -> list[DemoVisitor]:
    """The tenant's people, the same on every run: ``<tenant>-u00`` (its admin), ``-u01`` …; more in a larger tenant."""
    rng = random.Random(f"people:{tenant.id}")
    count = max(4, min(14, round(math.sqrt(tenant.size) / 1.3)))
    people: list[DemoVisitor] = []
    for n in range(count):
        role = "admin" if n == 0 else rng.choices(("member", "viewer", "admin"), (70, 20, 10))[0]
        locale = tenant.locale if rng.random() < 0.8 else "en"
        people.append(DemoVisitor(
            id=f"{tenant.id}-u{n:02d}", tenant=tenant, name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            role=role, locale=locale, browser=rng.choices(_BROWSERS, _BROWSER_WEIGHTS)[0],
            diligence=rng.uniform(0.55, 1.35), joins=0.0 if n == 0 or rng.random() < 0.7 else rng.uniform(0.1, 0.8),
        ))
    return people


def everyone() -> list[DemoVisitor]:
    return [v for t in TENANTS for v in visitors_of(t)]


def tenant_traits(tenant: DemoTenant) -> dict[str, object]:
    """What the host app tells Waymark about the tenant (a ``group`` call)."""
    return {"name": tenant.name, "industry": tenant.industry, "plan": tenant.plan, "size": tenant.size,
            "crm_id": tenant.crm_id}


def visitor_traits(visitor: DemoVisitor) -> dict[str, object]:
    """What the host app tells Waymark about the visitor (an ``identify`` call)."""
    return {"name": visitor.name, "role": visitor.role, "locale": visitor.locale, "browser": visitor.browser}
