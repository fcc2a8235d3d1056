"""INSERT … ON CONFLICT for whichever database the session talks to (SQLite and PostgreSQL spell it alike)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["insert_for"]


def insert_for(target: AsyncSession | str, model: Any) -> Any:
    """A Core INSERT on ``model``'s table with ``on_conflict_do_*`` for the session's (or named) dialect.

    It targets the table, not the mapped class: the ORM's bulk path would add RETURNING and,
    on SQLite, fall back to one statement per row.
    """
    name = target if isinstance(target, str) else target.get_bind().dialect.name
    table = model if isinstance(model, Table) else model.__table__
    return (postgresql if name == "postgresql" else sqlite).insert(table)
