"""Every behavioural analysis over 30 days of a seeded store, beside a plain ``count(*)`` of the same rows.

For each ``--sizes`` store (seeded once by :func:`benchmarks.reports.seed`, then reused: the demo's synthetic
usage, 120 days ending 2026-10-31, roll-ups included) each analysis is run in-process through the service
functions its API route calls, under the same scoped session: trends, retention, funnels, paths, signal,
impact, a cohort's refresh, one alerts evaluation, a milestone's evaluation and the lexicon's read. Each
gets one warm-up run, then ``--runs`` timed runs; an analysis whose warm-up took over a minute is timed by
that one run alone (marked †). The baseline, timed in the same run, is ``SELECT count(*)`` of the range's
events, so the ratios can be compared across machines. The range is the store's last 30 days, except for
signal: it reads the visitors first seen in its range, and the demo's are all first seen in the store's
first days, so signal reads those first 30 days (its worst case: every visitor).

The shared stores are never written. The analyses that write (a cohort refresh stores its members, an
alerts evaluation its verdicts, firings and lease, a milestone's evaluation its flags and changes, and each
needs its definitions saved first) run on one connection inside a transaction that is rolled back at the
end: the definitions are saved in it, and each run in a savepoint of it that is rolled back too, so every
run starts from the same state (definitions saved, no members or flags yet: what saving one through the
API evaluates at once). Their ``commit()`` calls only release savepoints (SQLAlchemy's
``join_transaction_mode="create_savepoint"``; on SQLite the connection issues its own ``BEGIN``, without
which a savepoint's release would commit).

With ``--pg URL`` each store is also copied into PostgreSQL (:mod:`benchmarks.postgres_copy`: every table,
into the database named like URL's plus ``_<size>``, created when missing, copied once and reused) and
timed there too.

Run: ``.venv/bin/python -m benchmarks.behaviour [--sizes 1000000 10000000] [--dir /work/bench] [--runs 3]
[--pg postgresql+asyncpg://postgres@127.0.0.1:5432/bench_behaviour] [--only funnel --only paths]``
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any, NamedTuple

import click
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from benchmarks.postgres_copy import copy_store
from benchmarks.reports import DAYS, END, ROOT, seed
from waymark.alerts.evaluate import evaluate
from waymark.alerts.rules import check_rule
from waymark.alerts.services import save_rule
from waymark.behaviour.cohort_refresh import refresh_cohort
from waymark.behaviour.cohorts import CohortIn, save_cohort
from waymark.behaviour.day_range import Range
from waymark.behaviour.funnels import funnel_query, funnel_report
from waymark.behaviour.impact_report import impact_report, parse_impact_options
from waymark.behaviour.milestone_store import evaluate_app, save_milestone
from waymark.behaviour.milestone_webhooks import post_changes
from waymark.behaviour.milestones import parse_definition
from waymark.behaviour.paths import paths_query, paths_report
from waymark.behaviour.retention import retention_query, retention_report
from waymark.behaviour.signal_report import parse_signal_options, signal_report
from waymark.behaviour.step_source import range_bounds
from waymark.behaviour.trends import trends_query, trends_report
from waymark.behaviour.trends_math import Measure
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Event, Tenant
from waymark.db.scope import Scope, app_session, scoped_session
from waymark.lexicon.services import lexicon_view

Maker = async_sessionmaker[AsyncSession]
Run = Callable[[Maker, str], Awaitable[object]]

START = END - timedelta(days=29)
SIGNAL_START = END - timedelta(days=DAYS - 1)
SIGNAL_END = SIGNAL_START + timedelta(days=29)
TODAY = END + timedelta(days=28)
"""The day signal and impact are asked on: every goal period and after-window of their ranges is over."""
NOW = datetime.combine(END, day_time(23), UTC)
"""When cohorts, alerts and milestones are judged: the store's last day, so their windows end with its data."""
BASELINE = "count(*) of the range's events (baseline)"
SLOW_MS = 60_000.0
"""A warm-up slower than this is the analysis's only run."""


@dataclass(frozen=True, slots=True)
class Analysis:
    name: str
    run: Run
    """Given a sessionmaker and the app id; its result is dropped."""
    prepare: Run | None = None
    """For an analysis that writes: what it needs saved first. Set, the analysis runs in a rolled-back
    transaction (see the module's docstring)."""


class Timing(NamedTuple):
    ms: float
    """The median wall time of the timed runs, or the one run when ``capped``."""
    cpu_ms: float
    """The least CPU time of this process (every thread: SQLite's work included, a PostgreSQL server's not) over
    the same runs: steadier than wall time on a loaded machine."""
    capped: bool


def _params(query: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in query.split("&"))


async def _baseline(maker: Maker, app_id: str) -> object:
    since, until = range_bounds(START, END)
    async with app_session(maker, app_id) as session:
        return await session.scalar(select(func.count()).select_from(Event).where(Event.ts >= since,
                                                                                   Event.ts < until))


def _trends(events: str, measure: Measure, count: str, interval: str, breakdown: str | None = None,
            formula: str | None = None) -> Run:
    query = trends_query(events, measure, count, interval, breakdown, formula)  # type: ignore[arg-type]

    async def run(maker: Maker, app_id: str) -> object:
        async with scoped_session(maker, Scope(app_id)) as session:
            return await trends_report(session, Scope(app_id), query, START, END)
    return run


def _retention(start_event: str, return_event: str, interval: str, mode: str, count: str) -> Run:
    query = retention_query(start_event, return_event, interval, mode, 8, count)  # type: ignore[arg-type]

    async def run(maker: Maker, app_id: str) -> object:
        async with scoped_session(maker, Scope(app_id)) as session:
            return await retention_report(session, Scope(app_id), query, START, END)
    return run


def _funnel(params: str) -> Run:
    query = funnel_query(_params(params))

    async def run(maker: Maker, app_id: str) -> object:
        async with scoped_session(maker, Scope(app_id)) as session:
            return await funnel_report(session, Scope(app_id), query, START, END, None)
    return run


def _paths(params: str) -> Run:
    query = paths_query(_params(params))

    async def run(maker: Maker, app_id: str) -> object:
        async with scoped_session(maker, Scope(app_id)) as session:
            return await paths_report(session, Scope(app_id), query, START, END, None)
    return run


def _signal(count: str) -> Run:
    options = parse_signal_options({"count": count})

    async def run(maker: Maker, app_id: str) -> object:
        async with scoped_session(maker, Scope(app_id)) as session:
            return await signal_report(session, Scope(app_id), Range(SIGNAL_START, SIGNAL_END), options, None,
                                       TODAY)
    return run


def _impact(adoption: str, count: str) -> Run:
    options = parse_impact_options({"adoption": adoption, "count": count})

    async def run(maker: Maker, app_id: str) -> object:
        async with scoped_session(maker, Scope(app_id)) as session:
            return await impact_report(session, Scope(app_id), Range(START, END), options, None, TODAY)
    return run


async def _lexicon(maker: Maker, app_id: str) -> object:
    async with app_session(maker, app_id) as session:
        return await lexicon_view(session, app_id, END)


COHORTS: dict[str, dict[str, Any]] = {
    "did feature:export-csv ≥ 3 in 14 days": {"did": "feature:export-csv", "at_least": 3, "days": 14},
    "lapsed: not in 30 days, did in 90": {"all": [{"not_did": "feature:export-csv", "days": 30},
                                                  {"did": "feature:export-csv", "days": 90}]},
    "first seen within 120 days": {"first_seen_within": 120},
    "did page:settings, tenant not free": {"all": [{"did": "page:settings", "days": 30},
                                                   {"not": {"field": "tenant.plan", "op": "eq", "value": "free"}}]},
}


def _cohort_id(name: str) -> str:
    return f"bench-{list(COHORTS).index(name)}"


async def _save_cohorts(maker: Maker, app_id: str) -> object:
    async with app_session(maker, app_id) as session:
        for name, rule in COHORTS.items():
            await save_cohort(session, app_id, _cohort_id(name), CohortIn(name=name, rule=rule))
        await session.commit()
    return None


def _refresh(name: str) -> Run:
    async def run(maker: Maker, app_id: str) -> object:
        return await refresh_cohort(maker, app_id, _cohort_id(name), END)
    return run


ALERT_RULES = [("active_visitors", ""), ("event_count", "event:invoice_sent"), ("event_count", "page:invoices-list"),
               ("nps", "nps"), ("policy_coverage", "terms-of-use")]


async def _save_alert_rules(maker: Maker, app_id: str) -> object:
    async with app_session(maker, app_id) as session:
        for n, (metric, target) in enumerate(ALERT_RULES):
            await save_rule(session, app_id, check_rule(f"bench {n}", metric, target, "week", "falls_by", 20))
        await save_rule(session, app_id, check_rule("bench day", "active_visitors", "", "day", "below", 1))
        await session.commit()
    return None


async def _evaluate_alerts(maker: Maker, _app_id: str) -> object:
    return await evaluate(maker, NOW + timedelta(hours=2))  # the next day: the last complete day is END


MILESTONES: dict[str, dict[str, Any]] = {
    "visitors_did": {"kind": "visitors_did", "name": "Three exporters in the first week",
                     "ref": "feature:export-csv", "at_least": 3, "within_days": 7},
    "active_share": {"kind": "active_share", "name": "80 % of seats active", "field": "seats", "percent": 80,
                     "days": 30},
    "events_count": {"kind": "events_count", "name": "50 invoice-list views a month", "ref": "page:invoices-list",
                     "at_least": 50, "days": 30},
}


async def _save_milestones(maker: Maker, app_id: str) -> object:
    """The three milestones, and a ``seats`` number on every tenant (the demo sends none) for the share's."""
    async with app_session(maker, app_id) as session:
        for tenant in await session.scalars(select(Tenant)):
            tenant.meta = {**tenant.meta, "seats": 6}
        for milestone_id, raw in MILESTONES.items():
            await save_milestone(session, app_id, milestone_id, parse_definition(raw), NOW)
        await session.commit()
    return None


def _milestone(milestone_id: str) -> Run:
    """What saving it through the API does next: evaluate it for every tenant, hand the changes on, commit."""
    async def run(maker: Maker, app_id: str) -> object:
        async with app_session(maker, app_id) as session:
            changes = await evaluate_app(session, app_id, NOW, only=milestone_id)
            await post_changes(session, app_id, NOW)
            await session.commit()
            return changes
    return run


def analyses() -> list[Analysis]:
    compare = f"&compare_from={START - timedelta(days=30)}&compare_to={START - timedelta(days=1)}"
    return [
        Analysis(BASELINE, _baseline),
        Analysis("trends: 2 events, total per day",
                 _trends("page:invoices-list,event:invoice_sent", "total", "visitors", "day")),
        Analysis("trends: 2 events, unique visitors per week, B / A",
                 _trends("page:invoices-list,event:invoice_sent", "unique", "visitors", "week", formula="B / A")),
        Analysis("trends: unique tenants per month", _trends("feature:send-invoice", "unique", "tenants", "month")),
        Analysis("trends: breakdown by tenant.plan",
                 _trends("page:settings", "total", "visitors", "day", breakdown="tenant.plan")),
        Analysis("trends: property filter (stored events)",
                 _trends("event:invoice_sent[plan=pro]", "total", "visitors", "day")),
        Analysis("retention: page:invoices-list → any, weekly",
                 _retention("page:invoices-list", "any", "week", "on", "visitors")),
        Analysis("retention: event → page, daily, tenants",
                 _retention("event:invoice_sent", "page:settings", "day", "on_or_after", "tenants")),
        Analysis("funnel: 3 pages, visitors",
                 _funnel("steps=page:invoices-list,page:invoice-detail,page:settings")),
        Analysis("funnel: 4 mixed steps, tenants", _funnel(
            "steps=page:invoices-list,feature:new-invoice,event:invoice_sent,event:settings_saved&count=tenants")),
        Analysis("funnel: 2 steps + exclusion, compared with the 30 days before", _funnel(
            "steps=page:invoices-list,event:invoice_sent&exclude=feature:help" + compare)),
        Analysis("paths: from page:invoices-list", _paths("from_step=page:invoices-list&length=4")),
        Analysis("paths: to the exit", _paths("to_step=exit&length=4")),
        Analysis("signal: visitors (store's first 30 days)", _signal("visitors")),
        Analysis("signal: tenants (store's first 30 days)", _signal("tenants")),
        Analysis("impact: feature:export-csv, visitors", _impact("feature:export-csv", "visitors")),
        Analysis("impact: feature:export-csv, tenants", _impact("feature:export-csv", "tenants")),
        *(Analysis(f"cohort refresh: {name}", _refresh(name), _save_cohorts) for name in COHORTS),
        Analysis("alerts: one evaluation of 6 rules", _evaluate_alerts, _save_alert_rules),
        *(Analysis(f"milestone evaluation: {kind}", _milestone(kind), _save_milestones) for kind in MILESTONES),
        Analysis("lexicon: every event name, 30-day figures", _lexicon),
    ]


def _sandbox_engine(url: str) -> AsyncEngine:
    """An engine for the rolled-back transactions. pysqlite begins a transaction only before a write, so a
    savepoint would open (and its release commit) the outermost one: the connection issues ``BEGIN`` itself."""
    engine = create_engine(url)
    if make_url(url).get_backend_name() == "sqlite":
        @event.listens_for(engine.sync_engine, "connect")
        def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")
    return engine


@asynccontextmanager
async def _rolled_back(engine: AsyncEngine, analysis: Analysis, app_id: str
                       ) -> AsyncIterator[Callable[[], Awaitable[object]]]:
    """One run of a writing analysis, each in a savepoint rolled back, all in a transaction rolled back."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        maker = async_sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
        try:
            assert analysis.prepare is not None
            await analysis.prepare(maker, app_id)

            async def once() -> object:
                nested = await conn.begin_nested()
                try:
                    return await analysis.run(maker, app_id)
                finally:
                    await nested.rollback()
            yield once
        finally:
            await outer.rollback()


async def _timed(run: Callable[[], Awaitable[object]], runs: int) -> Timing:
    """The median of ``runs`` after a warm-up (statement compilation, caches), or the warm-up alone when it was
    too slow to repeat."""
    async def once() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        await run()
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

    first, first_cpu = await once()
    if first > SLOW_MS:
        return Timing(first, first_cpu, capped=True)
    took = [await once() for _ in range(runs)]
    return Timing(statistics.median(wall for wall, _ in took), min(cpu for _, cpu in took), capped=False)


async def measure(url: str, app_id: str, runs: int, label: str, only: Sequence[str] = ()) -> dict[str, Timing]:
    """Each analysis's time on one store (with ``only``, those whose name contains one of its texts, and the
    baseline), with a progress bar naming the one running."""
    engine, sandbox = create_engine(url), _sandbox_engine(url)
    maker = make_sessionmaker(engine)
    out: dict[str, Timing] = {}
    try:
        chosen = [a for a in analyses() if a.name == BASELINE or not only or any(text in a.name for text in only)]
        with click.progressbar(chosen, label=label, width=30, show_pos=True,
                               item_show_func=lambda a: a.name if a else None) as bar:
            for analysis in bar:
                if analysis.prepare is None:
                    out[analysis.name] = await _timed(functools.partial(analysis.run, maker, app_id), runs)
                    continue
                async with _rolled_back(sandbox, analysis, app_id) as once:
                    out[analysis.name] = await _timed(once, runs)
    finally:
        await engine.dispose()
        await sandbox.dispose()
    return out


def table(results: dict[str, dict[str, Timing]]) -> list[str]:
    """A Markdown table: a row per analysis, a column per store; median ms and the ratio to its baseline."""
    columns = list(results)
    lines = ["| analysis | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for name in results[columns[0]]:
        cells = []
        for column in columns:
            ms, cpu_ms, capped = results[column][name]
            base = results[column][BASELINE].ms
            cell = f"{ms:,.0f} ms" if name == BASELINE else f"{ms:,.0f} ms ({ms / base:,.1f}×)"
            cells.append(cell + f", CPU {cpu_ms:,.0f}" + (" †" if capped else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000], help="store sizes (events)")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "bench", help="where the SQLite stores are kept")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per analysis (their median)")
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL: also time a copy of each store there")
    parser.add_argument("--only", action="append", default=[],
                        help="time only the analyses whose name contains this (the baseline always runs)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    results: dict[str, dict[str, Timing]] = {}
    for size in args.sizes:
        path, app_id = seed(args.dir, size)
        for database in ("SQLite", "PostgreSQL") if args.pg else ("SQLite",):
            if results:  # a 10 M store takes the better part of an hour per database: what is done so far
                _print(results, args.runs, load, so_far=True)
            url = copy_store(path, size, args.pg) if database == "PostgreSQL" else f"sqlite+aiosqlite:///{path}"
            column = f"{size:,} {database}"
            results[column] = asyncio.run(measure(url, app_id, args.runs, column, args.only))
    _print(results, args.runs, load, so_far=False)


def _print(results: dict[str, dict[str, Timing]], runs: int, load: tuple[float, float, float], so_far: bool) -> None:
    """The table, and the machine's load then (``so_far``: while stores remain to be timed)."""
    print(f"\nbehavioural analyses{' (so far)' if so_far else ''}, {START} to {END} (signal: {SIGNAL_START} to "
          f"{SIGNAL_END}), in process, median wall time of {runs} after a warm-up; (n×): times the column's baseline; "
          "CPU: this process's least CPU time of those runs")
    print("\n".join(table(results)))
    if any(timing.capped for per_store in results.values() for timing in per_store.values()):
        print(f"† one run only: its warm-up took over {SLOW_MS / 1000:.0f} s")
    print("load average (1, 5, 15 min): at the start " + ", ".join(f"{x:.2f}" for x in load)
          + "; now " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
