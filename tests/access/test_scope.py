"""The data layer keeps a session inside its scope (app, tenant) for ORM, Core and raw SQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support import make_app
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Tenant, Visitor
from waymark.db.scope import CrossAppWrite, CrossTenantWrite, Scope, ScopeViolation, app_session, scoped_session
from waymark.policies.models import PolicyVersion
from waymark.settings import Settings

VISITORS: Table = Visitor.__table__  # type: ignore[assignment]
TENANTS: Table = Tenant.__table__  # type: ignore[assignment]


@pytest.fixture
async def maker(settings: Settings) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], str, str]]:
    """Two apps; the first has tenants acme and umbra, each with visitors, the second one tenant acme."""
    first, second = (await make_app(settings, "first")).id, (await make_app(settings, "second")).id
    engine = create_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        for app_id, tenants in ((first, ("acme", "umbra")), (second, ("acme",))):
            for tenant in tenants:
                session.add(Tenant(app_id=app_id, id=tenant))
                session.add_all(Visitor(app_id=app_id, id=f"{tenant}-{n}", tenant_id=tenant) for n in range(2))
            session.add(Visitor(app_id=app_id, id="nobody", tenant_id=None))
        for tenant in (None, "acme", "umbra"):
            session.add(PolicyVersion(app_id=first, policy_id=f"terms-{tenant}", version=1, tenant_id=tenant,
                                      default_locale="en", title={}, body={}, hashes={}))
        await session.commit()
    try:
        yield sessions, first, second
    finally:
        await engine.dispose()


async def _ids(session: AsyncSession, statement: object) -> list[str]:
    return sorted((await session.execute(statement)).scalars().all())  # type: ignore[arg-type]


async def test_orm_reads_only_the_scope(maker: tuple[async_sessionmaker[AsyncSession], str, str]) -> None:
    sessions, first, _ = maker
    async with scoped_session(sessions, Scope(first, "acme")) as session:
        assert await _ids(session, select(Visitor.id)) == ["acme-0", "acme-1"]
        assert await _ids(session, select(Tenant.id)) == ["acme"]
        assert await _ids(session, select(PolicyVersion.policy_id)) == ["terms-None", "terms-acme"]
        assert await session.get(Visitor, (first, "umbra-0")) is None
    async with app_session(sessions, first) as session:
        assert len(await _ids(session, select(Visitor.id))) == 5


async def test_core_reads_and_writes_only_the_scope(maker: tuple[async_sessionmaker[AsyncSession], str, str]) -> None:
    sessions, first, second = maker
    async with scoped_session(sessions, Scope(first, "acme")) as session:
        assert await _ids(session, select(VISITORS.c.id)) == ["acme-0", "acme-1"]
        inner = select(VISITORS.c.tenant_id).scalar_subquery()
        assert await session.scalar(select(func.count()).select_from(TENANTS).where(TENANTS.c.id.in_(inner))) == 1
        joined = select(TENANTS.c.id, func.count(VISITORS.c.id)).select_from(
            TENANTS.outerjoin(VISITORS, VISITORS.c.tenant_id == TENANTS.c.id)).group_by(TENANTS.c.id)
        assert (await session.execute(joined)).all() == [("acme", 2)]
        await session.execute(update(VISITORS).values(meta={"touched": True}))
        await session.execute(delete(VISITORS).where(VISITORS.c.id.like("%-1")))
        await session.commit()
    async with sessions() as session:
        touched = await _ids(session, select(VISITORS.c.id).where(VISITORS.c.meta["touched"].as_boolean()))
        left = await _ids(session, select(VISITORS.c.id).where(VISITORS.c.id.like("%-1")))
        assert touched == ["acme-0"]
        assert left == ["acme-1", "umbra-1"]  # the second app's acme-1 and first's umbra-1 kept; first's acme-1 gone
        assert await session.scalar(select(func.count()).select_from(VISITORS).where(
            VISITORS.c.app_id == second, VISITORS.c.id == "acme-1")) == 1


async def test_raw_sql_needs_the_scope_binds(maker: tuple[async_sessionmaker[AsyncSession], str, str]) -> None:
    sessions, first, second = maker
    async with scoped_session(sessions, Scope(first, "acme")) as session:
        with pytest.raises(ScopeViolation, match=":app_id and :tenant_id"):
            await session.execute(text("SELECT id FROM visitors"))
        with pytest.raises(ScopeViolation, match=":tenant_id"):
            await session.execute(text("SELECT id FROM visitors WHERE app_id = :app_id"))
        with pytest.raises(ScopeViolation, match="app_id="):
            await session.execute(text("SELECT id FROM visitors WHERE app_id = :app_id AND tenant_id = :tenant_id"),
                                  {"app_id": second})
        rows = await session.execute(
            text("SELECT id FROM visitors WHERE app_id = :app_id AND tenant_id = :tenant_id ORDER BY id"))
        assert rows.scalars().all() == ["acme-0", "acme-1"]
    async with app_session(sessions, first) as session:
        rows = await session.execute(text("SELECT count(*) FROM visitors WHERE app_id = :app_id"))
        assert rows.scalar() == 5


async def test_writes_outside_the_scope_are_refused(maker: tuple[async_sessionmaker[AsyncSession], str, str]) -> None:
    sessions, first, second = maker
    async with scoped_session(sessions, Scope(first, "acme")) as session:
        session.add(Visitor(app_id=first, id="sneak", tenant_id="umbra"))
        with pytest.raises(CrossTenantWrite):
            await session.flush()
    async with scoped_session(sessions, Scope(first, "acme")) as session:
        with pytest.raises(CrossAppWrite):
            await session.execute(insert(VISITORS).values(app_id=second, id="x", tenant_id="acme", meta={}))
        with pytest.raises(CrossTenantWrite):
            await session.execute(insert(Visitor), [{"app_id": first, "id": "y", "tenant_id": "umbra", "meta": {}}])
        await session.execute(insert(VISITORS).values(app_id=first, id="ok", tenant_id="acme", meta={}))
        await session.commit()
    async with app_session(sessions, first) as session:
        assert "ok" in await _ids(session, select(Visitor.id))
