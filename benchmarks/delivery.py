"""Guide delivery throughput and latency for a realistic app, beside an empty route of the same server.

50 published guides with mixed rules (page globs, segments, schedules, locales,
click activation), 2,000 visitors with stored guide state and metadata; wrk asks as random
visitors on random pages. Run: ``.venv/bin/python -m benchmarks.delivery [rounds] [cohorts]``.

With ``cohorts``, every fifth guide targets the cohort ``power`` (``{field: cohort, op: in, value: power}``)
and every third visitor is a member, so each answer also reads the visitor's cohorts.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path

from sqlalchemy import insert

from benchmarks._server import Server, wrk
from waymark.apps.services import create_app_with_keys
from waymark.behaviour.cohort_models import Cohort, CohortMember
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import GuideState
from waymark.guides.loader import validate_sources
from waymark.guides.publishing import items_from_loaded
from waymark.guides.services import publish
from waymark.upgrade.run import upgrade
from waymark.wiring import publish_hooks

VISITORS = 2000
PAGES = ["/app/invoices", "/app/invoices/INV-1001", "/app/settings", "/app/reports?tab=open", "/app/home"]


def guide_file(i: int, cohorts: bool = False) -> str:
    kind = ("walkthrough", "tooltip", "announcement")[i % 3]
    page = ["/app/invoices", "/app/invoices/*", "/app/settings", "/app/**", "/app/reports"][i % 5]
    segment = [
        "",
        "  segment: {field: visitor.role, op: eq, value: admin}\n",
        "  segment:\n    all:\n      - {field: tenant.plan, op: in, value: [pro, enterprise]}\n"
        "      - {field: tenant.size, op: gte, value: 50}\n",
        "  segment:\n    any:\n      - {field: visitor.locale, op: eq, value: fr}\n"
        "      - not: {field: tenant.trial, op: exists}\n",
    ][i % 4]
    if cohorts and i % 5 == 4:
        segment = "  segment: {field: cohort, op: in, value: power}\n"
    schedule = "  schedule: {start: 2020-01-01T00:00:00Z, end: 2099-01-01T00:00:00Z}\n" if i % 6 == 0 else ""
    activation = 'activation: {mode: click, selector: "#help"}\n' if i % 7 == 0 else ""
    if kind == "walkthrough":
        steps = "".join(
            f"  - type: tooltip\n    anchor: '#el-{s}'\n    title: {{en: Step {s}, fr: Étape {s}}}\n"
            f"    body: 'Click **here** to [learn more](https://example.com/{s}).'\n"
            for s in range(4)
        )
    elif kind == "tooltip":
        steps = "  - type: tooltip\n    anchor: '#tip'\n    title: Tip\n    body: A *short* tip.\n"
    else:
        steps = "  - type: lightbox\n    title: News\n    body: '- one\\n- two\\n- three'\n"
    return (
        f"id: guide-{i:02d}\nname: Guide {i}\nkind: {kind}\npriority: {i % 10}\n{activation}"
        f"targeting:\n  pages: ['{page}']\n{segment}{schedule}steps:\n{steps}"
    )


async def seed(database_url: str, cohorts: bool = False) -> str:
    engine = create_engine(database_url)
    maker = make_sessionmaker(engine)
    async with maker() as session:
        app = await create_app_with_keys(session, "bench")
        if cohorts:
            session.add(Cohort(app_id=app.id, id="power", name="Power", description="", rule={"first_seen_within": 7}))
            await session.execute(insert(CohortMember), [
                {"app_id": app.id, "cohort_id": "power", "visitor_id": f"v{v}"} for v in range(0, VISITORS, 3)])
            await session.flush()
        loaded, errors = validate_sources([(f"guide-{i}.yaml", guide_file(i, cohorts)) for i in range(50)])
        assert not errors, errors
        await publish(session, app.id, items_from_loaded(loaded), publish_hooks())
        rng = random.Random(1)
        rows = [
            {"app_id": app.id, "visitor_id": f"v{v}", "guide_id": f"guide-{g:02d}",
             "status": rng.choice(["seen", "completed", "dismissed"]), "step": 0}
            for v in range(VISITORS) for g in rng.sample(range(50), 5)
        ]
        await session.execute(insert(GuideState), rows)
        await session.commit()
    await engine.dispose()
    return app.public_key


def _meta(v: int) -> str:
    """What the widget sends: the visitor's and the tenant's metadata, base64url JSON."""
    body = {
        "visitor": {"id": f"v{v}", "role": ("admin", "member", "viewer")[v % 3], "locale": ("en", "fr")[v % 2]},
        "tenant": {"id": f"t{v % 50}", "plan": ("free", "pro", "enterprise")[v % 3], "size": v % 200},
    }
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def lua_script(path: Path, public_key: str) -> Path:
    urls = ",".join(f'"{p}"' for p in PAGES)
    metas = ",".join(f'"{_meta(v)}"' for v in range(VISITORS))
    path.write_text(
        f"local urls = {{{urls}}}\n"
        f"local metas = {{{metas}}}\n"
        "math.randomseed(7)\n"
        "request = function()\n"
        f"  local v = math.random(0, {VISITORS - 1})\n"
        "  local u = urls[math.random(#urls)]\n"
        f'  return wrk.format("GET", "/api/v1/guides?key={public_key}&visitor=v" .. v ..'
        ' "&tenant=t" .. (v % 50) .. "&locale=en&url=http%3A%2F%2Fhost" .. u .. "&meta=" .. metas[v + 1])\n'
        "end\n"
    )
    return path


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    cohorts = "cohorts" in sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(url)
        public_key = asyncio.run(seed(url, cohorts))
        script = lua_script(Path(tmp) / "delivery.lua", public_key)
        # Members are seeded directly (the store has no usage to compute them from): no periodic refresh.
        server = Server(url, env={"WAYMARK_COHORTS_INTERVAL_SECONDS": "0"} if cohorts else None)
        try:
            wrk(server.url + "/livez", seconds=2)
            wrk(server.url + "/", seconds=2, script=script)
            empty, delivery = [], []
            for _ in range(rounds):
                empty.append(wrk(server.url + "/livez"))
                delivery.append(wrk(server.url + "/", script=script))
        finally:
            server.stop()
    med = statistics.median
    e_rps, d_rps = med(r.rps for r in empty), med(r.rps for r in delivery)
    print(f"guide delivery, 50 guides{' (10 cohort-targeted)' if cohorts else ''}, {VISITORS} visitors with state, "
          f"uvicorn 1 worker, SQLite, wrk -c32, median of {rounds}")
    print(f"  empty Litestar route : {e_rps:>8,.0f} req/s  p50 {med(r.p50_ms for r in empty):.2f} ms"
          f"  p99 {med(r.p99_ms for r in empty):.2f} ms")
    print(f"  GET /api/v1/guides   : {d_rps:>8,.0f} req/s  p50 {med(r.p50_ms for r in delivery):.2f} ms"
          f"  p99 {med(r.p99_ms for r in delivery):.2f} ms")
    print(f"  delivery / empty     : {d_rps / e_rps:.0%}  (errors: {sum(r.errors for r in delivery)})")


if __name__ == "__main__":
    main()
