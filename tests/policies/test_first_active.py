"""A page of tenants' first active days, read from the partial index, equal the roll-up read by hand on random
data, on SQLite and PostgreSQL: other kinds and keys, other tenants and days outside the range never count."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from tests.support import make_app
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import DailyUsage
from waymark.db.scope import app_session
from waymark.policies import report
from waymark.policies.report import first_active
from waymark.settings import Settings

D0 = date(2026, 4, 1)
TENANTS = ["", "acme", "globex", "initech", "umbrella", "hooli"]


def _rows(app_id: str, rng: random.Random) -> list[DailyUsage]:
    rows: dict[tuple[object, ...], DailyUsage] = {}
    for _ in range(400):
        kind, key = rng.choice((("active", ""), ("active", ""), ("page", "home"), ("event", "Saved"),
                                ("active", "x")))
        row = DailyUsage(app_id=app_id, day=D0 + timedelta(days=rng.randrange(40)), tenant_id=rng.choice(TENANTS),
                         visitor_id=f"v{rng.randrange(30)}", kind=kind, key=key, count=1, ms=0)
        rows[row.day, row.tenant_id, row.visitor_id, kind, key] = row
    return list(rows.values())


def _by_hand(rows: list[DailyUsage], tenants: list[str] | None, since: date, until: date) -> dict[str, dict[str, date]]:
    out: dict[str, dict[str, date]] = {}
    for r in rows:
        wanted = tenants is None or r.tenant_id in tenants
        if (r.kind, r.key) == ("active", "") and since <= r.day <= until and wanted:
            seen = out.setdefault(r.tenant_id, {})
            seen[r.visitor_id] = min(seen.get(r.visitor_id, r.day), r.day)
    return out


async def test_first_active_days_match_the_roll_up_read_by_hand(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "_CHUNK", 2)  # several queries per page of tenants
    app = await make_app(settings)
    rng = random.Random(11)
    rows = _rows(app.id, rng)
    engine = create_engine(settings.database_url)
    try:
        async with app_session(make_sessionmaker(engine), app.id) as session:
            session.add_all(rows)
            await session.commit()
            for _ in range(12):
                since = D0 + timedelta(days=rng.randrange(30))
                until = since + timedelta(days=rng.randrange(15))
                tenants = None if rng.random() < 0.2 else sorted(rng.sample(TENANTS, rng.randint(1, 4)))
                found = await first_active(session, app.id, tenants, since, until)
                assert {t: dict(v) for t, v in found.items()} == _by_hand(rows, tenants, since, until)
    finally:
        await engine.dispose()
