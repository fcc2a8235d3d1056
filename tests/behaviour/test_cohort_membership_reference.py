"""Cohort membership on random usage, on both databases, against a brute-force reading of the rules."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tests.support import make_app
from waymark.behaviour.cohort_refresh import compute_members
from waymark.behaviour.cohort_rules import compile_cohort_rule
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import DailyUsage, Tenant, Visitor
from waymark.db.scope import app_session
from waymark.settings import Settings

TODAY = date(2026, 6, 30)
KEYS = [("feature", "export"), ("page", "billing"), ("event", "Signup")]
RULES: list[dict[str, Any]] = [
    {"did": "feature:export", "at_least": 3, "days": 14},
    {"not_did": "page:billing", "days": 7},
    {"first_seen_within": 10},
    {"any": [{"did": "event:Signup", "days": 1}, {"all": [{"not_did": "feature:export", "days": 30},
                                                          {"field": "tenant.plan", "op": "eq", "value": "pro"}]}]},
    {"not": {"any": [{"did": "page:billing", "at_least": 2, "days": 20},
                     {"field": "visitor.role", "op": "in", "value": ["admin"]}]}},
]


def _holds(rule: dict[str, Any], visitor: dict[str, Any], usage: dict[tuple[str, str, date], int]) -> bool:
    """The rule read literally over one visitor's per-day counts."""
    if "all" in rule:
        return all(_holds(r, visitor, usage) for r in rule["all"])
    if "any" in rule:
        return any(_holds(r, visitor, usage) for r in rule["any"])
    if "not" in rule:
        return not _holds(rule["not"], visitor, usage)
    if "field" in rule:
        scope, _, key = rule["field"].partition(".")
        value = (visitor["meta"] if scope == "visitor" else visitor["tenant_meta"]).get(key)
        return value == rule["value"] if rule["op"] == "eq" else value in rule["value"]
    if "first_seen_within" in rule:
        return (TODAY - visitor["first_seen"].date()).days < rule["first_seen_within"]
    ref = rule.get("did") or rule["not_did"]
    kind, _, key = ref.partition(":")
    days = [TODAY - timedelta(days=d) for d in range(rule["days"])]
    total = sum(usage.get((kind, key, day), 0) for day in days)
    return total >= rule.get("at_least", 1) if "did" in rule else total == 0


async def test_membership_matches_a_literal_reading_on_random_usage(settings: Settings) -> None:
    app = await make_app(settings)
    rng = random.Random(9)
    tenants = {"t-pro": {"plan": "pro"}, "t-free": {"plan": "free"}}
    visitors: dict[str, dict[str, Any]] = {}
    usage: dict[str, dict[tuple[str, str, date], int]] = {}
    rows: list[dict[str, Any]] = []
    for n in range(40):
        vid, tenant = f"v{n:02d}", rng.choice([*tenants, None])
        first = datetime.combine(TODAY - timedelta(days=rng.randrange(0, 40)), time(rng.randrange(24)), tzinfo=UTC)
        visitors[vid] = {"tenant": tenant, "first_seen": first, "meta": {"role": rng.choice(["admin", "user"])},
                         "tenant_meta": tenants.get(tenant or "", {})}
        usage[vid] = {}
        for _ in range(rng.randrange(0, 12)):
            kind, key = rng.choice(KEYS)
            day = TODAY - timedelta(days=rng.randrange(0, 35))
            if (kind, key, day) in usage[vid]:
                continue
            count = rng.randrange(1, 3)
            usage[vid][(kind, key, day)] = count
            rows.append({"app_id": app.id, "day": day, "tenant_id": tenant or "", "visitor_id": vid, "kind": kind,
                         "key": key, "count": count, "ms": 0})
    engine = create_engine(settings.database_url)
    try:
        maker = make_sessionmaker(engine)
        async with app_session(maker, app.id) as session:
            session.add_all([Tenant(app_id=app.id, id=t, meta=m) for t, m in tenants.items()])
            session.add_all([Visitor(app_id=app.id, id=v, tenant_id=d["tenant"], meta=d["meta"],
                                     first_seen=d["first_seen"], last_seen=d["first_seen"])
                             for v, d in visitors.items()])
            session.add_all([DailyUsage(**row) for row in rows])
            await session.commit()
        async with app_session(maker, app.id) as session:
            for raw in RULES:
                found = await compute_members(session, app.id, compile_cohort_rule(raw), TODAY)
                expected = {v for v, d in visitors.items() if _holds(raw, d, usage[v])}
                assert found == expected, raw
                assert 0 < len(expected) < len(visitors), f"{raw} does not split the visitors: a weak check"
    finally:
        await engine.dispose()
