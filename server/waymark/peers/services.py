"""The only source of cross-tenant figures: benchmark snapshots, computed once per app across workers, and the
k-anonymous answers made from them (see :mod:`waymark.peers.anonymity` for the rule).

A snapshot holds every contributing tenant's figures for the fixed period (30 whole UTC days
ending yesterday). Views read the stored snapshot; one older than ``max_age`` (10 minutes), or
of a past period, is recomputed in the background by whichever worker takes the lease first,
while views keep reading the stored one. A view waits for a computation only when there is no
snapshot yet, or when a tenant in it has since opted out (it must leave every figure at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.clock import as_utc, utcnow
from waymark.db.models import App, Tenant
from waymark.db.scope import Scope, app_session
from waymark.db.upsert import insert_for
from waymark.peers.anonymity import MAX_K, MIN_K, PeerIndex, benchmark, distribution, hidden_message
from waymark.peers.definitions import METRICS, Metric, Period, period_ending
from waymark.peers.groups import PeerGroup, groups_of
from waymark.peers.metrics import tenant_figures
from waymark.peers.models import BenchmarkRun, BenchmarkSnapshot
from waymark.peers.schemas import Benchmark, Distribution, MemberFigures, Snapshot

__all__ = ["BenchmarkService", "KProblem", "UnknownTenant", "set_k"]

log = logging.getLogger("waymark.peers")
_POLL = 0.1


class UnknownTenant(LookupError):
    """No tenant with this id in the app."""


class KProblem(ValueError):
    """A k outside the allowed range."""


async def set_k(session: AsyncSession, app_id: str, k: int) -> None:
    """Store the app's k (the caller commits); it applies to the next view, no recomputation needed."""
    if not MIN_K <= k <= MAX_K:
        raise KProblem(f"k must be between {MIN_K} and {MAX_K} (a smaller group would expose its tenants' figures)")
    await session.execute(update(App).where(App.id == app_id).values(benchmark_k=k))


class _State:
    """What one look at the database says about an app's stored snapshot (and the asking tenant)."""

    __slots__ = ("computed_at", "k", "now_opted_out", "opted_out", "period_end", "tenant_opted_out")

    def __init__(self, computed_at: datetime | None, period_end: date | None, opted_out: frozenset[str], k: int,
                 now_opted_out: frozenset[str], tenant_opted_out: bool | None) -> None:
        self.computed_at = as_utc(computed_at) if computed_at else None
        self.period_end, self.opted_out, self.k, self.now_opted_out = period_end, opted_out, k, now_opted_out
        self.tenant_opted_out = tenant_opted_out
        """The asking tenant's opt-out; None when there is no such tenant (or none asked)."""


class BenchmarkService:
    """Benchmarks of one deployment's apps (one instance per worker, shared by its requests)."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, max_age: timedelta = timedelta(minutes=10),
        lease: timedelta = timedelta(minutes=2), today: Callable[[], date] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.max_age = max_age
        """A snapshot older than this is remade in the background."""
        self._lease = lease
        self._today = today or (lambda: utcnow().date())
        self._cache: dict[str, PeerIndex] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    # --- answers ---------------------------------------------------------------------------------

    async def tenant_benchmarks(
        self, scope: Scope, kind: PeerGroup, metrics: tuple[Metric, ...] = METRICS, *, quartiles: bool
    ) -> list[Benchmark]:
        """One tenant's benchmark per metric; ``quartiles`` False for a tenant admin (own position only)."""
        if scope.tenant_id is None:
            raise ValueError("a tenant's benchmark needs a scope with that tenant")
        tenant = scope.tenant_id
        state = await self._state(scope.app_id, tenant)
        if state.tenant_opted_out is None:
            raise UnknownTenant(f"no tenant {tenant!r} in this app")
        if state.tenant_opted_out:
            return [Benchmark(available=False, metric=m, peer_group=kind, reason="opted_out", k=state.k,
                              message=hidden_message("opted_out", m, kind)) for m in metrics]
        index = await self.index(scope.app_id, state)
        return [benchmark(index, tenant, m, kind, quartiles=quartiles) for m in metrics]

    async def distributions(self, scope: Scope, kind: PeerGroup, metrics: tuple[Metric, ...] = METRICS
                            ) -> tuple[Snapshot, list[Distribution]]:
        """Every group's distribution per metric, for the product team (an app-wide scope only)."""
        if scope.tenant_id is not None:
            raise PermissionError("the distribution of peers is for the product team, not a tenant's scope")
        index = await self.index(scope.app_id)
        return index.snapshot, [d for m in metrics for d in distribution(index, m, kind)]

    # --- snapshots -------------------------------------------------------------------------------

    async def index(self, app_id: str, state: _State | None = None) -> PeerIndex:
        """The app's stored snapshot, computed first when there is none or it holds a tenant now opted out."""
        state = state or await self._state(app_id)
        if state.computed_at is None or state.now_opted_out - state.opted_out:
            for _ in range(3):  # another worker's snapshot, begun before the opt-out, may land first
                await self.refresh(app_id, wait=True)
                state = await self._state(app_id)
                if not state.now_opted_out - state.opted_out:
                    break
        elif (utcnow() - state.computed_at > self.max_age
              or state.period_end != period_ending(self._today()).end):
            self.refresh_soon(app_id)
        cached = self._cache.get(app_id)
        if cached is None or cached.snapshot.computed_at != state.computed_at:
            cached = PeerIndex(await self._load(app_id))
            self._cache[app_id] = cached
        return cached.with_k(state.k)

    def refresh_soon(self, app_id: str) -> None:
        """Recompute in the background unless this worker already is (another worker's lease also stops it)."""
        running = self._tasks.get(app_id)
        if running is None or running.done():
            self._tasks[app_id] = asyncio.create_task(self._refresh_logged(app_id))

    async def _refresh_logged(self, app_id: str) -> None:
        try:
            await self.refresh(app_id, wait=False)
        except Exception:
            log.exception("benchmark snapshot of app %s failed; the previous one is still served", app_id)

    def busy(self) -> bool:
        """True while this worker computes a snapshot in the background."""
        return any(not task.done() for task in self._tasks.values())

    async def stop(self) -> None:
        """Cancel background computations (at shutdown)."""
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def refresh(self, app_id: str, *, wait: bool) -> bool:
        """Compute and store a new snapshot if this worker gets the lease; True when it did.

        With ``wait``, a snapshot being computed by another worker is waited for (and taken over if
        that worker's lease runs out).
        """
        before = (await self._state(app_id)).computed_at
        lock = self._locks.setdefault(app_id, asyncio.Lock())
        async with lock:
            while True:
                if (await self._state(app_id)).computed_at != before:
                    return False  # made meanwhile, by this worker or another
                if await self._take_lease(app_id):
                    await self._compute(app_id)
                    return True
                if not wait:
                    return False
                await asyncio.sleep(_POLL)

    async def _state(self, app_id: str, tenant_id: str | None = None) -> _State:
        """One statement: the app's k, its run, how many tenants opted out (and the asking tenant's opt-out)."""
        opted_out = (Tenant.app_id == app_id, Tenant.opted_out.is_(True))
        columns: list[Any] = [App.benchmark_k, BenchmarkRun.computed_at, BenchmarkRun.period_end,
                              BenchmarkRun.opted_out, select(func.count()).where(*opted_out).scalar_subquery()]
        if tenant_id is not None:
            columns.append(select(Tenant.opted_out).where(Tenant.app_id == app_id, Tenant.id == tenant_id)
                           .scalar_subquery())
        async with app_session(self._sessionmaker, app_id) as session:
            row = (await session.execute(
                select(*columns).select_from(App).outerjoin(BenchmarkRun, BenchmarkRun.app_id == App.id)
                .where(App.id == app_id))).one()
            now_out = frozenset((await session.scalars(select(Tenant.id).where(*opted_out))).all()) if row[4] else (
                frozenset())
        tenant_out = None if tenant_id is None or row[5] is None else bool(row[5])
        return _State(row[1], row[2], frozenset(row[3] or ()), row[0] or MIN_K, now_out, tenant_out)

    async def _take_lease(self, app_id: str) -> bool:
        now = utcnow()
        async with app_session(self._sessionmaker, app_id) as session:
            await session.execute(insert_for(session, BenchmarkRun).values(app_id=app_id, opted_out=[])
                                  .on_conflict_do_nothing(index_elements=["app_id"]))
            taken = await session.execute(
                update(BenchmarkRun)
                .where(BenchmarkRun.app_id == app_id,
                       or_(BenchmarkRun.lease_until.is_(None), BenchmarkRun.lease_until < now))
                .values(lease_until=now + self._lease)
                .execution_options(synchronize_session=False))
            await session.commit()
        return bool(getattr(taken, "rowcount", 0))

    async def _compute(self, app_id: str) -> None:
        period: Period = period_ending(self._today())
        try:
            figures = await tenant_figures(self._sessionmaker, app_id, period)
            async with app_session(self._sessionmaker, app_id) as session:
                tenants = (await session.execute(
                    select(Tenant.id, Tenant.meta, Tenant.opted_out).where(Tenant.app_id == app_id))).all()
                opted_out = sorted(t.id for t in tenants if t.opted_out)
                rows = [
                    {"app_id": app_id, "tenant_id": t.id, "groups": groups_of(t.meta or {}),
                     "figures": {m: f[0] for m, f in figures.get(t.id, {}).items()},
                     "bases": {m: f[1] for m, f in figures.get(t.id, {}).items()}}
                    for t in tenants if not t.opted_out
                ]
                await session.execute(delete(BenchmarkSnapshot).where(BenchmarkSnapshot.app_id == app_id))
                if rows:
                    await session.execute(insert_for(session, BenchmarkSnapshot), rows)
                await session.execute(
                    update(BenchmarkRun).where(BenchmarkRun.app_id == app_id)
                    .values(computed_at=utcnow(), period_start=period.start, period_end=period.end,
                            opted_out=opted_out, lease_until=None)
                    .execution_options(synchronize_session=False))
                await session.commit()
        except BaseException:
            await self._release(app_id)
            raise

    async def _release(self, app_id: str) -> None:
        async with app_session(self._sessionmaker, app_id) as session:
            await session.execute(update(BenchmarkRun).where(BenchmarkRun.app_id == app_id)
                                  .values(lease_until=None).execution_options(synchronize_session=False))
            await session.commit()

    async def _load(self, app_id: str) -> Snapshot:
        # The run is read before the rows: a snapshot committed in between is then cached under the older
        # stamp, and the next view (seeing the newer stamp) reloads it.
        async with app_session(self._sessionmaker, app_id) as session:
            run = (await session.execute(select(BenchmarkRun).where(BenchmarkRun.app_id == app_id))).scalar_one()
            k = await session.scalar(select(App.benchmark_k).where(App.id == app_id))
            rows = (await session.scalars(
                select(BenchmarkSnapshot).where(BenchmarkSnapshot.app_id == app_id))).all()
            members = tuple(
                MemberFigures(tenant_id=r.tenant_id, groups=dict(r.groups), values=dict(r.figures),
                              bases=dict(r.bases))
                for r in rows
            )
            if run.computed_at is None or run.period_start is None or run.period_end is None:
                raise RuntimeError(f"app {app_id} has no benchmark snapshot to load")
            return Snapshot(app_id=app_id, computed_at=as_utc(run.computed_at), period_start=run.period_start,
                            period_end=run.period_end, k=k or MIN_K, members=members,
                            opted_out=frozenset(run.opted_out or ()))
