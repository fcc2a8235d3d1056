"""``/admin/apps/{app_id}/content``: guides, surveys and policies with their versions; archive and roll back (authors).

Authoring stays in files (``waymark guides push``); this page only changes which version is published.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select

from waymark.access.deps import audit, requires, resolve_principal
from waymark.access.principal import Action
from waymark.admin.app_context import load_app
from waymark.admin.render import page
from waymark.db.models import GuideVersion
from waymark.db.scope import app_session
from waymark.guides.services import NothingToRollBack, archive, list_guides, rollback
from waymark.policies.services import list_policies

__all__ = ["SECTIONS", "ContentPage"]

SECTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Guides", frozenset({"walkthrough", "tooltip", "announcement"})),
    ("Surveys", frozenset({"nps", "poll"})),
    ("Policies", frozenset({"policy"})),
)


async def _render(request: Request[Any, Any, Any], app_id: str, *, notice: str = "", error: str = "",
                  status_code: int = 200) -> Template:
    principal = await resolve_principal(request)
    async with app_session(request.app.state.sessionmaker, app_id) as session:
        app = await load_app(session, app_id)
        guides = await list_guides(session, app_id)
        versions: dict[str, list[dict[str, Any]]] = {}
        for row in await session.execute(
            select(GuideVersion.guide_id, GuideVersion.version, GuideVersion.source, GuideVersion.created_at)
            .where(GuideVersion.app_id == app_id).order_by(GuideVersion.guide_id, GuideVersion.version.desc())
        ):
            versions.setdefault(row.guide_id, []).append(
                {"version": row.version, "source": row.source, "created_at": row.created_at})
        policies = {p.id: p for p in await list_policies(session, app_id)}
    known = frozenset().union(*(kinds for _, kinds in SECTIONS))
    sections = [
        {"title": title, "items": [g for g in guides if g.kind in kinds]} for title, kinds in SECTIONS
    ] + [{"title": "Other", "items": [g for g in guides if g.kind not in known]}]
    return page(request, "apps/content.html", {
        "app": app, "groups": [s for s in sections if s["items"] or s["title"] != "Other"],
        "versions": versions, "policies": policies, "notice": notice, "error": error,
        "can_author": principal is not None and principal.allows(Action.AUTHOR, app_id),
    }, status_code=status_code)


class ContentPage(Controller):
    path = "/admin/apps/{app_id:str}/content"
    include_in_schema = False

    @get("/", name="admin-content", guards=[requires(Action.READ_APP)])
    async def show(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        return await _render(request, app_id)

    @post("/{guide_id:str}/archive", status_code=200, guards=[requires(Action.AUTHOR)])
    async def archive(self, request: Request[Any, Any, Any], app_id: FromPath[str], guide_id: FromPath[str]
                      ) -> Template:
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                result = await archive(session, app_id, guide_id)
                await session.commit()
        except NothingToRollBack as exc:  # answered once the session is closed: SQLite has one connection
            return await _render(request, app_id, error=str(exc), status_code=404)
        request.app.state.snapshots.invalidate(app_id)
        if not result.changed:
            return await _render(request, app_id, notice=f"{guide_id} was archived already.")
        await audit(request, "guide.archive", f"{guide_id} v{result.version}", app_id)
        return await _render(request, app_id, notice=(
            f"{guide_id} is archived: v{result.version} is no longer shown. Its versions and history are kept; "
            "pushing its file publishes it again."))

    @post("/{guide_id:str}/rollback", status_code=200, guards=[requires(Action.AUTHOR)])
    async def rollback(self, request: Request[Any, Any, Any], app_id: FromPath[str], guide_id: FromPath[str]
                       ) -> Template:
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                result = await rollback(session, app_id, guide_id)
                await session.commit()
        except NothingToRollBack as exc:
            return await _render(request, app_id, error=str(exc), status_code=409)
        request.app.state.snapshots.invalidate(app_id)
        await audit(request, "guide.rollback", f"{guide_id} -> v{result.version}", app_id)
        return await _render(request, app_id, notice=f"{guide_id} is rolled back: v{result.version} is published.")
