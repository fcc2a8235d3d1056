"""Tenant isolation in one place: a session bound to an app sees and loads only that app's rows.

Every ORM ``SELECT``/``UPDATE``/``DELETE`` made through a session opened with
:func:`app_session` gets ``app_id = :bound`` added for every app-scoped model it
touches, so a route cannot forget the filter. Rows added through such a session
must belong to the bound app, or the flush is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from waymark.db.models import AppScoped, Base

__all__ = ["CrossAppWrite", "Scope", "app_session"]

_APP_KEY = "waymark_app_id"


@dataclass(frozen=True, slots=True)
class Scope:
    """What a request may read and write: one app, and one tenant of it or (``None``) all of its tenants."""

    app_id: str
    tenant_id: str | None = None

    def narrowed(self, tenant_id: str) -> Scope:
        """The same app, one tenant: allowed from the whole app or from that same tenant, never wider."""
        if self.tenant_id is not None and self.tenant_id != tenant_id:
            raise PermissionError(f"scope of tenant {self.tenant_id!r} cannot read tenant {tenant_id!r}")
        return Scope(self.app_id, tenant_id)


class CrossAppWrite(RuntimeError):
    """A row of another app was about to be written through an app-bound session."""


@cache
def _scoped_models() -> tuple[type[AppScoped], ...]:
    return tuple(m.class_ for m in Base.registry.mappers if issubclass(m.class_, AppScoped))


@event.listens_for(Session, "do_orm_execute")
def _scope_to_app(state: ORMExecuteState) -> None:
    app_id = state.session.info.get(_APP_KEY)
    if app_id is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(
        *(with_loader_criteria(cls, cls.app_id == app_id, include_aliases=True) for cls in _scoped_models())
    )


@event.listens_for(Session, "before_flush")
def _refuse_cross_app_rows(session: Session, _ctx: object, _instances: object) -> None:
    app_id = session.info.get(_APP_KEY)
    if app_id is None:
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, AppScoped) and obj.app_id != app_id:
            raise CrossAppWrite(f"{type(obj).__name__} of app {obj.app_id!r} in a session bound to {app_id!r}")


@asynccontextmanager
async def app_session(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str
) -> AsyncIterator[AsyncSession]:
    """Open a session that only sees ``app_id``'s rows."""
    async with sessionmaker() as session:
        session.info[_APP_KEY] = app_id
        session.sync_session.info[_APP_KEY] = app_id
        yield session
