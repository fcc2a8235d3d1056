"""Ingestion throughput over HTTP (batches of 50 events, one server process) beside a raw driver insert.

The raw baseline writes the same rows into the same ``events`` table with the bare
driver (``sqlite3.executemany`` / asyncpg ``executemany``), 50 rows a transaction, in
the same run. Run: ``.venv/bin/python -m benchmarks.ingestion [sqlite|postgresql]``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks._server import Server, wrk
from waymark.apps.services import create_app_with_keys
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.upgrade.run import upgrade

BATCH = 50
PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def sample_events(prefix: str, n: int) -> list[dict[str, object]]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    kinds: list[dict[str, object]] = [
        {"type": "page", "title": "Invoices", "referrer": ""},
        {"type": "click", "element": {"tag": "button", "id": "new-invoice", "classes": ["primary"], "attrs": {},
                                      "text": "New invoice", "path": "main > div.page-head > button#new-invoice"}},
        {"type": "track", "name": "Invoice Sent", "props": {"amount": 120}},
        {"type": "time", "ms": 5300},
    ]
    return [
        {"id": f"{prefix}-{i}", "ts": now, "visitor": f"v{i % 40}", "tenant": f"t{i % 7}",
         "url": "https://app.example.com/invoices", **kinds[i % len(kinds)]}
        for i in range(n)
    ]


def lua_script(path: Path, public_key: str) -> Path:
    template = json.dumps({"events": sample_events("ID", BATCH)}).replace('"', '\\"')
    path.write_text(
        "local counter = 0\n"
        "local prefix = tostring(math.random(1, 1e9))\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        f'  local body = string.gsub("{template}", "ID%-", prefix .. "-" .. counter .. "-")\n'
        f'  return wrk.format("POST", "/api/v1/events?key={public_key}", '
        '{["Content-Type"] = "text/plain"}, body)\n'
        "end\n"
    )
    return path


def raw_rows(app_id: str, n: int) -> list[tuple[object, ...]]:
    now = datetime.now(UTC).isoformat()
    return [
        (app_id, e["id"], e["type"], None, e["visitor"], e["tenant"], e["url"], now, now, json.dumps({}))
        for e in sample_events(uuid.uuid4().hex, n)
    ]


_INSERT = ("INSERT INTO events (app_id, event_id, type, name, visitor_id, tenant_id, url, ts, received_at, props)"
           " VALUES ({})")


def raw_sqlite(path: str, app_id: str, seconds: float = 5.0) -> float:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    sql = _INSERT.format(",".join("?" * 10))
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        with conn:
            conn.executemany(sql, raw_rows(app_id, BATCH))
        done += BATCH
    conn.close()
    return done / (time.perf_counter() - start)


async def raw_postgres(url: str, app_id: str, seconds: float = 5.0) -> float:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    sql = _INSERT.format(",".join(f"${i}" for i in range(1, 11))).replace("$8, $9", "$8::timestamptz, $9::timestamptz")
    sql = sql.replace("$10)", "$10::json)")
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        rows = [(*r[:7], datetime.now(UTC), datetime.now(UTC), r[9]) for r in raw_rows(app_id, BATCH)]
        async with conn.transaction():
            await conn.executemany(sql, rows)
        done += BATCH
    await conn.close()
    return done / (time.perf_counter() - start)


async def make_app(url: str) -> tuple[str, str]:
    engine = create_engine(url)
    async with make_sessionmaker(engine)() as session:
        app = await create_app_with_keys(session, "bench")
    await engine.dispose()
    return app.id, app.public_key


async def _admin(statement: str) -> None:
    engine = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp}/ingest.db"
        else:
            name = f"waymark_bench_{uuid.uuid4().hex[:8]}"
            asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
            url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            app_id, public_key = asyncio.run(make_app(url))
            script = lua_script(Path(tmp) / "ingest.lua", public_key)
            server = Server(url, env={"WAYMARK_RATE_LIMIT_PER_MINUTE": "0"})
            http, raw = [], []
            try:
                wrk(server.url + "/", seconds=2, connections=16, script=script)
                for _ in range(rounds):
                    result = wrk(server.url + "/", seconds=8, connections=16, script=script)
                    assert result.errors == 0, "the server refused batches"
                    http.append(result.rps * BATCH)
                    raw.append(raw_sqlite(url.split("///", 1)[1], app_id) if backend == "sqlite"
                               else asyncio.run(raw_postgres(url, app_id)))
            finally:
                server.stop()
        finally:
            if backend != "sqlite":
                asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    http.sort()
    raw.sort()
    h, r = http[len(http) // 2], raw[len(raw) // 2]
    driver = "sqlite3.executemany" if backend == "sqlite" else "asyncpg executemany"
    print(f"ingestion, {backend}, batches of {BATCH} events, uvicorn 1 worker, wrk -c16, median of {rounds}")
    print(f"  POST /api/v1/events      : {h:>9,.0f} events/s")
    print(f"  raw {driver:<20} : {r:>9,.0f} events/s  ({BATCH} rows a transaction, same table)")
    print(f"  HTTP / raw               : {h / r:.0%}")


if __name__ == "__main__":
    main()
