"""The audit log page of an app (owners): who did what, on what, when and from where, newest first."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, get
from litestar.response import Template
from sqlalchemy import select

from waymark.access.deps import requires
from waymark.access.models import AuditEntry
from waymark.access.principal import Action
from waymark.db.models import App

__all__ = ["PAGE_SIZE", "AuditController"]

PAGE_SIZE = 100


class AuditController(Controller):
    path = "/admin/apps/{app_id:str}/audit"
    include_in_schema = False
    guards = [requires(Action.MANAGE)]

    @get("/", cache=False)
    async def show(self, request: Request[Any, Any, Any], app_id: str, before: int | None = None) -> Template:
        """One page of entries; ``?before=<id>`` gives the next (older) page."""
        query = select(AuditEntry).where(AuditEntry.app_id == app_id)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        async with request.app.state.sessionmaker() as db:
            app = await db.get_one(App, app_id)
            rows = (await db.scalars(query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1))).all()
        entries = rows[:PAGE_SIZE]
        older = entries[-1].id if len(rows) > PAGE_SIZE else None
        return Template(template_name="access/audit.html", media_type=MediaType.HTML,
                        context={"app_id": app_id, "app_name": app.name, "entries": entries, "older": older})
