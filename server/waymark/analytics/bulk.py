"""Bulk loading of events, with their roll-ups, straight into a SQLite file (the demo's and the benchmark's path).

It writes what ``write_events`` would (events, tenants, visitors, ``daily_usage`` and the first day of each
thing it counts, the step projection, the guide figures, the lexicon's event names) with
``executemany`` in large transactions, and counts roll-ups with the same :class:`Tally` and
rules as ingestion, so reports cannot tell the two paths apart. Each batch takes the write
lock first and rereads the rules' fingerprint, so a rule changed meanwhile is honoured.
It does not resolve aliases or fold guide state: it is for synthetic page, click, time, track
and guide-seen events with fresh ids.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, NamedTuple

import msgspec

from waymark.analytics.bulk_event import BulkEvent as Synthetic
from waymark.analytics.item_first_days import earliest
from waymark.analytics.refresher import refresh_database
from waymark.analytics.rollups import Tally
from waymark.analytics.rules import RuleBook
from waymark.analytics.steps import STEP_TYPES, epoch_second, event_steps
from waymark.guidestats.fold import FIELDS as GUIDE_FIELDS
from waymark.guidestats.fold import GuideFold
from waymark.guidestats.sketches import day_figures, merged

__all__ = ["BulkLoadError", "bulk_load_sqlite"]

_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (app_id, event_id, type, name, visitor_id, tenant_id, guide_id, url, ts, "
    "received_at, props) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ADD_USAGE = (
    'INSERT INTO daily_usage (app_id, day, tenant_id, visitor_id, kind, "key", count, ms) '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    'ON CONFLICT (app_id, day, tenant_id, visitor_id, kind, "key") '
    "DO UPDATE SET count = count + excluded.count, ms = ms + excluded.ms"
)
_ADD_FIRST_DAY = (
    'INSERT INTO item_first_days (app_id, visitor_id, tenant_id, kind, "key", first_day) VALUES (?, ?, ?, ?, ?, ?) '
    'ON CONFLICT (app_id, visitor_id, tenant_id, kind, "key") DO UPDATE SET first_day = excluded.first_day '
    "WHERE excluded.first_day < first_day"
)
"""A thing's first day (:mod:`waymark.analytics.item_first_days`): the earlier of the stored and the batch's."""
_ADD_GUIDE = (
    f"INSERT INTO guide_daily_stats (app_id, guide_id, day, tenant_id, visitor_id, {', '.join(GUIDE_FIELDS)}) "
    f"VALUES (?, ?, ?, ?, ?, {', '.join('?' for _ in GUIDE_FIELDS)}) "
    "ON CONFLICT (app_id, guide_id, day, tenant_id, visitor_id) DO UPDATE SET "
    + ", ".join(f"{f} = max({f}, excluded.{f})" if f == "top_step" else f"{f} = {f} + excluded.{f}"
                for f in GUIDE_FIELDS)
)
_TOUCH_TENANT = (
    "INSERT INTO tenants (app_id, id, meta, first_seen, last_seen, opted_out, drop_fields) "
    "VALUES (?, ?, '{}', ?, ?, 0, '[]') ON CONFLICT (app_id, id) DO UPDATE SET "
    "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)"
)
_TOUCH_VISITOR = (
    "INSERT INTO visitors (app_id, id, tenant_id, meta, first_seen, last_seen) VALUES (?, ?, ?, '{}', ?, ?) "
    "ON CONFLICT (app_id, id) DO UPDATE SET tenant_id = coalesce(excluded.tenant_id, tenant_id), "
    "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)"
)
_TOUCH_LEXICON = (
    "INSERT INTO lexicon_events (app_id, name, first_seen, last_seen, status, description) "
    "VALUES (?, ?, ?, ?, 'visible', '') ON CONFLICT (app_id, name) DO UPDATE SET "
    "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)"
)
_GUIDE_DAY = (f"SELECT visitor_id, {', '.join(GUIDE_FIELDS)} FROM guide_daily_stats "
              "WHERE app_id = ? AND guide_id = ? AND day = ?")
_DROP_SKETCHES = "DELETE FROM guide_day_sketches WHERE app_id = ? AND guide_id = ? AND day = ?"
_ADD_SKETCH = "INSERT INTO guide_day_sketches (app_id, guide_id, day, figure, count, sketch) VALUES (?, ?, ?, ?, ?, ?)"
_ADD_STEP = (
    "INSERT INTO steps (app_id, event_id, step, second, visitor_id, tenant_id, label) "
    "SELECT app_id, id, ?, ?, visitor_id, tenant_id, ? FROM events WHERE app_id = ? AND event_id = ?"
)
"""A step row of an event of the batch, found by its client id (it was just stored)."""
_MARK = "INSERT OR IGNORE INTO summary_marks (app_id, part, day, tenant_id) VALUES (?, ?, ?, ?)"
_FINGERPRINT = (
    "SELECT (SELECT count(*) FROM page_definitions WHERE app_id = ?1), "
    "(SELECT max(updated_at) FROM page_definitions WHERE app_id = ?1), "
    "(SELECT count(*) FROM feature_definitions WHERE app_id = ?1), "
    "(SELECT max(updated_at) FROM feature_definitions WHERE app_id = ?1)"
)


class BulkLoadError(RuntimeError):
    pass


def _rule_book(conn: sqlite3.Connection, app_id: str, current: RuleBook | None) -> RuleBook:
    fingerprint = tuple(conn.execute(_FINGERPRINT, (app_id,)).fetchone())
    if current is not None and current.fingerprint == fingerprint:
        return current
    pages = [(i, json.loads(r)) for i, r in conn.execute(
        "SELECT id, rule FROM page_definitions WHERE app_id = ? ORDER BY id", (app_id,))]
    features = [(i, s, json.loads(p) if p else None) for i, s, p in conn.execute(
        "SELECT id, selector, page FROM feature_definitions WHERE app_id = ? ORDER BY id", (app_id,))]
    return RuleBook.compile(app_id, fingerprint, pages, features)


class _Props:
    """Each event's ``props`` as JSON text; a click's element is encoded once per distinct element object."""

    __slots__ = ("_elements", "_encode")

    def __init__(self) -> None:
        self._encode = msgspec.json.Encoder().encode
        self._elements: dict[int, tuple[Any, str]] = {}

    def __call__(self, e: Synthetic) -> str:
        if e.type == "click":
            cached = self._elements.get(id(e.element))
            if cached is None or cached[0] is not e.element:
                cached = (e.element, '{"element":' + self._encode(e.element).decode() + "}")
                self._elements[id(e.element)] = cached
            return cached[1]
        if e.type == "page":
            return self._encode({"title": e.title}).decode() if e.title is not None else "{}"
        if e.type == "time":
            return f'{{"ms":{int(e.ms)}}}'
        if e.type.startswith("guide_"):
            return '{"trigger":"auto"}'
        return "{}"


class _Prepared(NamedTuple):
    """One batch ready to write, and the rules' fingerprint its roll-ups were counted with."""

    fingerprint: tuple[Any, ...]
    events: list[tuple[Any, ...]]
    usage: list[tuple[Any, ...]]
    first_days: list[tuple[Any, ...]]
    """The first day of each thing the batch counted, per visitor and tenant."""
    tenants: list[tuple[Any, ...]]
    visitors: list[tuple[Any, ...]]
    marks: list[tuple[Any, ...]]
    """Summary marks of the (day, tenant) pairs the batch touched (see :mod:`waymark.analytics.summaries`)."""
    guides: list[tuple[Any, ...]]
    """Guide figures (:mod:`waymark.guidestats`): the day rows; a showing's start is not kept by this path."""
    names: list[tuple[Any, ...]]
    """The lexicon's track event names, first and last seen in the batch (synthetic events carry no properties)."""
    steps: list[tuple[Any, ...]]
    """The step projection's rows (:mod:`waymark.analytics.steps`)."""


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    for pragma in ("journal_mode=WAL", "synchronous=OFF", "cache_size=-1048576", "temp_store=MEMORY",
                   "busy_timeout=60000"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _prepare(app_id: str, chunk: list[Synthetic], book: RuleBook, props: _Props) -> _Prepared:
    tally = Tally(book)
    count = tally.event
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    visitors: dict[str, list[str]] = {}
    tenants: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    steps: list[tuple[Any, ...]] = []
    guides = GuideFold()
    for e in chunk:
        ts = e.ts.isoformat(" ", "microseconds")
        append((app_id, e.event_id, e.type, e.name, e.visitor, e.tenant, e.guide, e.url, ts, ts, props(e)))
        kind = e.type
        if kind in STEP_TYPES:
            found = event_steps(book, kind, e.name, e.guide, e.url, e.element if kind == "click" else None)
            if found:
                second = epoch_second(e.ts)
                steps.extend((step, second, label, app_id, e.event_id) for step, label in found)
        count(kind, e.ts.date(), e.tenant, e.visitor, e.url,
              e.element if kind == "click" else e.name if kind == "track" else e.guide, e.ms)
        if e.guide and kind.startswith("guide_"):
            guides.event(kind, e.guide, e.ts.date(), e.tenant, e.visitor, 0, e.ts)
        # first and last seen within the batch; the upsert keeps the earliest first and the latest last
        visitors.setdefault(e.visitor, [e.tenant, ts, ts])[2] = ts
        if e.tenant:
            tenants.setdefault(e.tenant, [ts, ts])[1] = ts
        if kind == "track" and e.name:
            seen = names.setdefault(e.name, [ts, ts])
            seen[0], seen[1] = min(seen[0], ts), max(seen[1], ts)
    return _Prepared(
        book.fingerprint,
        rows,
        # no need to sort for deadlocks here: SQLite has one writer
        [(app_id, day.isoformat(), tenant, visitor, kind, key, c, ms)
         for (day, tenant, visitor, kind, key), (c, ms) in tally.rows.items()],
        [(app_id, visitor, tenant, kind, key, day.isoformat())
         for (visitor, tenant, kind, key), day in earliest(tally.rows).items()],
        [(app_id, t, first, last) for t, (first, last) in tenants.items()],
        [(app_id, v, t or None, first, last) for v, (t, first, last) in visitors.items()],
        _marks(app_id, {(day, tenant) for day, tenant, _, kind, _ in tally.rows if kind == "active"}),
        [(app_id, guide, day.isoformat(), tenant, visitor, *values)
         for (guide, day, tenant, visitor), values in guides.rows.items()],
        [(app_id, name, first, last) for name, (first, last) in names.items()],
        steps,
    )


def _marks(app_id: str, touched: set[tuple[Any, str]]) -> list[tuple[Any, ...]]:
    days = {(app_id, "day", day.isoformat(), "") for day, _ in touched}
    return sorted(days | {(app_id, "tenant", day.isoformat(), tenant) for day, tenant in touched})


def _write(conn: sqlite3.Connection, batch: _Prepared) -> int:
    before = conn.total_changes
    conn.executemany(_INSERT_EVENT, batch.events)
    if conn.total_changes - before != len(batch.events):
        raise BulkLoadError("some event ids of this batch are already stored; bulk loading needs fresh ids")
    conn.executemany(_ADD_USAGE, batch.usage)
    conn.executemany(_ADD_FIRST_DAY, batch.first_days)
    conn.executemany(_ADD_STEP, batch.steps)
    conn.executemany(_TOUCH_TENANT, batch.tenants)
    conn.executemany(_TOUCH_VISITOR, batch.visitors)
    conn.executemany(_MARK, batch.marks)
    conn.executemany(_ADD_GUIDE, batch.guides)
    _recount_guide_days(conn, {(app_id, guide, day) for app_id, guide, day, *_ in batch.guides})
    conn.executemany(_TOUCH_LEXICON, batch.names)
    return len(batch.events)


def _recount_guide_days(conn: sqlite3.Connection, guide_days: set[tuple[str, str, str]]) -> None:
    """The sketches of the guide-days a batch touched, recomputed from their day rows (as an alias would)."""
    for app_id, guide, day in sorted(guide_days):
        rows = conn.execute(_GUIDE_DAY, (app_id, guide, day)).fetchall()
        conn.execute(_DROP_SKETCHES, (app_id, guide, day))
        conn.executemany(_ADD_SKETCH, [(app_id, guide, day, name, count, blob) for name, (count, blob) in
                                       merged(day_figures((r[0], r[1:]) for r in rows), {}).items()])


def _produce(path: str, app_id: str, make_events: Callable[[], Iterable[Synthetic]], batch: int,
             out: Any) -> None:
    """In a second process: generate, encode and count batches while the first one writes."""
    try:
        conn = _connect(path)
        props = _Props()
        book: RuleBook | None = None
        stream = iter(make_events())
        while chunk := list(islice(stream, batch)):
            book = _rule_book(conn, app_id, book)
            out.put(_prepare(app_id, chunk, book, props))
        conn.close()
        out.put(None)
    except BaseException as exc:
        out.put(exc)


def _prepared_batches(path: str, app_id: str, make_events: Callable[[], Iterable[Synthetic]],
                      batch: int) -> Iterator[_Prepared]:
    # two literal calls, not one with a computed name: each returns a context type that knows Process
    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=2)
    worker = context.Process(target=_produce, args=(path, app_id, make_events, batch, queue), daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise BulkLoadError(f"preparing events failed: {item!r}") from item
            yield item
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()


def _summarized(path: str, stored: int, summarize: bool) -> int:
    if summarize and stored:
        refresh_database(f"sqlite+aiosqlite:///{path}")
    return stored


def bulk_load_sqlite(
    path: str, app_id: str, events: Iterable[Synthetic] | Callable[[], Iterable[Synthetic]], *,
    batch: int = 100_000, on_batch: Callable[[int], None] | None = None, parallel: bool = False,
    summarize: bool = True,
) -> int:
    """Store events (fresh ids) and add their roll-ups, ``batch`` events per transaction; returns the count.

    ``parallel`` (``events`` must then be a picklable function making them, such as a
    ``functools.partial`` of ``demo_events``): a second process generates and counts the next
    batch while this one writes, which nearly halves the time on two cores; a batch counted
    with rules that changed before it was written is refused. Raises BulkLoadError if the app
    does not exist or an event id is already stored (nothing of that batch is kept).
    ``summarize``: bring the report summaries up to date at the end (they are marked as it goes).
    """
    conn = _connect(path)
    try:
        if conn.execute("SELECT 1 FROM apps WHERE id = ?", (app_id,)).fetchone() is None:
            raise BulkLoadError(f"no app {app_id!r} in {path}")
        stored = 0
        if parallel:
            assert callable(events), "parallel loading needs a function that makes the events"
            for prepared in _prepared_batches(path, app_id, events, batch):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if _rule_book(conn, app_id, None).fingerprint != prepared.fingerprint:
                        raise BulkLoadError("pages or features changed during the load; run it again")
                    stored += _write(conn, prepared)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                if on_batch is not None:
                    on_batch(len(prepared.events))
            return _summarized(path, stored, summarize)
        props = _Props()
        book: RuleBook | None = None
        stream = iter(events() if callable(events) else events)
        while chunk := list(islice(stream, batch)):
            conn.execute("BEGIN IMMEDIATE")
            try:
                book = _rule_book(conn, app_id, book)  # under the write lock: the rules as committed
                stored += _write(conn, _prepare(app_id, chunk, book, props))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if on_batch is not None:
                on_batch(len(chunk))
        return _summarized(path, stored, summarize)
    finally:
        conn.close()
