"""Isolation in one place: a session bound to a Scope (an app, and one tenant or all) sees only that scope's rows.

Every statement run through a session opened with :func:`scoped_session` (or
:func:`app_session`, the all-tenants case) passes one check here:

- ORM ``SELECT``/``UPDATE``/``DELETE``: ``app_id = :bound`` is added for every app-scoped
  model they touch, and, in a tenant's scope, ``<tenant column> = :tenant`` for every model
  that has one (see :func:`tenant_column`).
- Core ``SELECT``/``UPDATE``/``DELETE`` on app-scoped tables: the same criteria are added to
  every one of those tables, subqueries included (a joined table's go in its ON clause).
  A Core or ORM ``INSERT`` must insert the scope's app (and tenant).
- Raw SQL (``text()``) that names a table (``FROM``, ``INTO``, ``UPDATE``, ``TABLE``, ``JOIN``,
  ``USING``), which cannot be read reliably: it must name the binds ``:app_id`` (and
  ``:tenant_id`` in a tenant's scope), which the session fills in from the scope; a statement
  without them, or one passing other values, is refused with :class:`ScopeViolation`.
- Rows added through the session must belong to the scope, or the flush is refused.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Delete, Insert, Join, Select, Table, TextClause, Update, and_, event, or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute, ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import Alias, FromClause

from waymark.db.models import AppScoped, Base

__all__ = [
    "CrossAppWrite",
    "CrossTenantWrite",
    "Scope",
    "ScopeViolation",
    "app_session",
    "bound_scope",
    "scoped_session",
    "tenant_column",
]

_SCOPE_KEY = "waymark_scope"
_TENANT_COLUMN_NAMES = {"tenants": "id"}
"""Tables whose tenant is a column not called ``tenant_id`` (a tenant row's own id)."""
_NAMES_A_TABLE = re.compile(r"\b(from|into|update|table|join|using)\b", re.IGNORECASE)
"""Raw SQL with none of these words reads and writes no table (an advisory lock): it needs no scope binds."""
_SHARED_WHEN_NULL = frozenset({"policy_versions"})
"""Tables where a row without a tenant applies to every tenant (an app-wide policy): a tenant sees those too."""


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


class ScopeViolation(RuntimeError):
    """A statement or a row would reach outside the session's scope."""


class CrossAppWrite(ScopeViolation):
    """A row of another app was about to be written through an app-bound session."""


class CrossTenantWrite(CrossAppWrite):
    """A row of another tenant was about to be written through a tenant-bound session."""


_models_seen = -1
_models: tuple[type[AppScoped], ...] = ()
_tables: dict[Table, type[AppScoped]] = {}


def _scoped_models() -> tuple[type[AppScoped], ...]:
    """App-scoped models (looked up again whenever another domain's models were imported)."""
    global _models_seen, _models, _tables
    mappers = Base.registry.mappers
    if len(mappers) != _models_seen:
        _models = tuple(m.class_ for m in mappers if issubclass(m.class_, AppScoped))
        _tables = {t: m for m in _models if isinstance(t := getattr(m, "__table__", None), Table)}
        _models_seen = len(mappers)
    return _models


def tenant_column(model: type[AppScoped]) -> InstrumentedAttribute[Any] | None:
    """The column naming a row's tenant, or ``None`` for data that is the whole app's (guides, keys …)."""
    name = _TENANT_COLUMN_NAMES.get(getattr(model, "__tablename__", ""), "tenant_id")
    column = getattr(model, name, None)
    return column if isinstance(column, InstrumentedAttribute) else None


def _tenant_criterion(model: type[AppScoped], tenant_id: str) -> ColumnElement[bool] | None:
    column = tenant_column(model)
    if column is None:
        return None
    if getattr(model, "__tablename__", "") in _SHARED_WHEN_NULL:
        return or_(column == tenant_id, column.is_(None))
    return column == tenant_id


def bound_scope(session: Session | AsyncSession) -> Scope | None:
    """The scope a session was opened under (``None``: an unscoped session, for workers and the CLI)."""
    info = session.sync_session.info if isinstance(session, AsyncSession) else session.info
    found = info.get(_SCOPE_KEY)
    return found if isinstance(found, Scope) else None


def _binds(statement: Any) -> set[str]:
    if isinstance(statement, TextClause):
        return set(statement._bindparams)
    return {b.key for b in visitors.iterate(statement) if isinstance(b, BindParameter) and isinstance(b.key, str)}


def _scoped_tables(statement: Any) -> list[Table]:
    _scoped_models()
    found: list[Table] = []
    visitors.traverse(statement, {}, {"table": found.append})
    if isinstance(statement, Insert) and isinstance(statement.table, Table):
        found.append(statement.table)
    return [t for t in found if t in _tables]


def _rows(parameters: Any) -> list[Mapping[str, Any]]:
    if isinstance(parameters, Mapping):
        return [parameters]
    if isinstance(parameters, Sequence) and not isinstance(parameters, str | bytes):
        return [p for p in parameters if isinstance(p, Mapping)]
    return []


def _fill(state: ORMExecuteState, scope: Scope, names: Sequence[str]) -> None:
    """Give the statement the scope's values for ``names``; a caller's own different value is refused."""
    wanted = {"app_id": scope.app_id, "tenant_id": scope.tenant_id}
    rows = _rows(state.parameters) or [{}]
    filled = []
    for row in rows:
        for name in names:
            if name in row and row[name] != wanted[name]:
                raise ScopeViolation(f"a statement passed {name}={row[name]!r} in a session bound to {scope}")
        filled.append({**row, **{name: wanted[name] for name in names}})
    state.parameters = filled[0] if isinstance(state.parameters, Mapping) or len(filled) == 1 else filled


def _check_insert(state: ORMExecuteState, scope: Scope, table: Table) -> None:
    statement = state.statement
    values = {getattr(c, "key", str(c)): getattr(v, "value", v) for c, v in
              (getattr(statement, "_values", None) or {}).items()}
    rows = [{**values, **row} for row in _rows(state.parameters)] or [values]
    tenant = tenant_column(_tables[table])
    for row in rows:
        if row.get("app_id") != scope.app_id:
            raise CrossAppWrite(f"an INSERT into {table.name} for app {row.get('app_id')!r} in a session bound to "
                                f"{scope.app_id!r}")
        if scope.tenant_id is not None and tenant is not None and row.get(tenant.key) != scope.tenant_id:
            raise CrossTenantWrite(f"an INSERT into {table.name} for another tenant in a session bound to {scope}")


def _criteria(from_: FromClause, scope: Scope) -> list[ColumnElement[bool]]:
    """``app_id = :scope`` (and the tenant's) for a scoped table or an alias of one; nothing for others."""
    table = from_.element if isinstance(from_, Alias) else from_
    if not isinstance(table, Table) or table not in _tables:
        return []
    model = _tables[table]
    found: list[ColumnElement[bool]] = [from_.c.app_id == scope.app_id]
    tenant = tenant_column(model)
    if scope.tenant_id is not None and tenant is not None:
        column = from_.c[tenant.property.columns[0].name]
        shared = table.name in _SHARED_WHEN_NULL
        found.append(or_(column == scope.tenant_id, column.is_(None)) if shared else column == scope.tenant_id)
    return found


def _left_leaves(from_: FromClause) -> list[FromClause]:
    """The tables a FROM item starts with (a join's right sides are filtered in its ON clause instead)."""
    return _left_leaves(from_.left) if isinstance(from_, Join) else [from_]


def _all_leaves(from_: FromClause) -> list[FromClause]:
    return [*_all_leaves(from_.left), *_all_leaves(from_.right)] if isinstance(from_, Join) else [from_]


def _filter_core(statement: Any, scope: Scope) -> Any:
    """The statement with the scope's criteria on every scoped table it reads, updates or deletes from.

    A joined table gets them in its ON clause (an outer join keeps its meaning), any other in the WHERE
    clause of the SELECT (or UPDATE, DELETE) that names it, subqueries included.
    """

    def on_join(join: Join) -> None:
        extra = [c for leaf in _all_leaves(join.right) for c in _criteria(leaf, scope)]
        if extra:
            join.onclause = and_(join.onclause, *extra) if join.onclause is not None else and_(*extra)

    def on_select(select: Select[Any]) -> None:
        extra = [c for f in select.get_final_froms() for leaf in _left_leaves(f) for c in _criteria(leaf, scope)]
        if extra:
            select._where_criteria += tuple(extra)

    def on_dml(dml: Update | Delete) -> None:
        extra = _criteria(dml.table, scope)
        if extra:
            dml._where_criteria += tuple(extra)

    return visitors.cloned_traverse(statement, {}, {"join": on_join, "select": on_select, "update": on_dml,
                                                     "delete": on_dml})


def _check_core(state: ORMExecuteState, scope: Scope) -> None:
    statement = state.statement
    if isinstance(statement, TextClause):
        if not _NAMES_A_TABLE.search(statement.text):
            return  # SELECT pg_advisory_xact_lock(:key) and the like read no rows
        names = ["app_id"] + (["tenant_id"] if scope.tenant_id is not None else [])
        missing = [n for n in names if n not in _binds(statement)]
        if missing:
            raise ScopeViolation(f"raw SQL in a session bound to {scope} must filter by "
                                 f"{' and '.join(':' + n for n in missing)} (the session fills them in)")
        _fill(state, scope, names)
        return
    tables = _scoped_tables(statement)
    if not tables:
        return
    if isinstance(statement, Insert):
        _check_insert(state, scope, tables[-1])
        return
    state.statement = _filter_core(statement, scope)


@event.listens_for(Session, "do_orm_execute")
def _enforce_scope(state: ORMExecuteState) -> None:
    scope = state.session.info.get(_SCOPE_KEY)
    if not isinstance(scope, Scope):
        return
    if not state.is_orm_statement:
        _check_core(state, scope)
        return
    if state.is_insert:
        table = getattr(state.statement, "table", None)
        if isinstance(table, Table) and table in _tables:
            _check_insert(state, scope, table)
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(*_loader_options(scope, len(_scoped_models())))


@lru_cache(maxsize=4096)
def _loader_options(scope: Scope, _models_known: int) -> tuple[Any, ...]:
    """The criteria an ORM statement gets in ``scope``: made once per scope (and set of models) and reused,
    since building one per app-scoped model cost about 2 ms per statement, more than most statements take."""
    options = [with_loader_criteria(cls, cls.app_id == scope.app_id, include_aliases=True) for cls in _models]
    if scope.tenant_id is not None:
        for cls in _models:
            criterion = _tenant_criterion(cls, scope.tenant_id)
            if criterion is not None:
                options.append(with_loader_criteria(cls, criterion, include_aliases=True))
    return tuple(options)


@event.listens_for(Session, "before_flush")
def _refuse_rows_outside(session: Session, _ctx: object, _instances: object) -> None:
    scope = session.info.get(_SCOPE_KEY)
    if not isinstance(scope, Scope):
        return
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, AppScoped):
            continue
        if obj.app_id != scope.app_id:
            raise CrossAppWrite(f"{type(obj).__name__} of app {obj.app_id!r} in a session bound to {scope.app_id!r}")
        column = tenant_column(type(obj)) if scope.tenant_id is not None else None
        if column is not None and getattr(obj, column.key) != scope.tenant_id:
            raise CrossTenantWrite(f"{type(obj).__name__} of another tenant in a session bound to {scope}")


@asynccontextmanager
async def scoped_session(sessionmaker: async_sessionmaker[AsyncSession], scope: Scope) -> AsyncIterator[AsyncSession]:
    """Open a session that only sees (and only writes) ``scope``'s rows."""
    async with sessionmaker() as session:
        session.sync_session.info[_SCOPE_KEY] = scope
        yield session


@asynccontextmanager
async def app_session(sessionmaker: async_sessionmaker[AsyncSession], app_id: str) -> AsyncIterator[AsyncSession]:
    """Open a session that only sees ``app_id``'s rows, of every tenant."""
    async with scoped_session(sessionmaker, Scope(app_id)) as session:
        yield session
