"""``/admin/apps/{app_id}/settings`` (owners): the attention budget, retention, Do Not Track, identity required."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from waymark.access.deps import audit, requires
from waymark.access.principal import Action
from waymark.admin.app_context import form_of, load_app
from waymark.admin.forms import FormProblems, read_settings
from waymark.admin.render import page
from waymark.db.scope import app_session
from waymark.identity.services import set_required
from waymark.privacy.schemas import AppPrivacy
from waymark.privacy.services import set_app_privacy

__all__ = ["SettingsPage"]


async def _render(request: Request[Any, Any, Any], app_id: str, *, notice: str = "",
                  problems: FormProblems | None = None, form: dict[str, str] | None = None) -> Template:
    async with app_session(request.app.state.sessionmaker, app_id) as session:
        app = await load_app(session, app_id)
    values = form if form is not None else {
        "throttle_seconds": str(app.throttle_seconds), "max_auto_guides_per_day": str(app.max_auto_guides_per_day),
        "retention_days": "" if app.retention_days is None else str(app.retention_days),
        "honor_dnt": "on" if app.honor_dnt else "", "require_identity": "on" if app.require_identity else "",
    }
    return page(request, "apps/settings.html", {
        "app": app, "values": values, "problems": problems.by_field if problems else {}, "notice": notice,
        "error": problems.summary() if problems else "",
    }, status_code=400 if problems else 200)


class SettingsPage(Controller):
    path = "/admin/apps/{app_id:str}/settings"
    guards = [requires(Action.MANAGE)]
    include_in_schema = False

    @get("/", name="admin-settings")
    async def show(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        return await _render(request, app_id)

    @post("/", status_code=200)
    async def save(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        form = await form_of(request)
        wanted, problems = read_settings(form)
        if wanted is None:
            return await _render(request, app_id, problems=problems, form=form)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            await set_app_privacy(session, app_id, AppPrivacy(
                honor_dnt=wanted.honor_dnt, retention_days=wanted.retention_days,
                throttle_seconds=wanted.throttle_seconds, max_auto_guides_per_day=wanted.max_auto_guides_per_day))
            await set_required(session, app_id, wanted.require_identity)
            await session.commit()
        request.app.state.snapshots.invalidate(app_id)  # this worker at once; the others at their next check
        await audit(request, "settings.update",
                    f"throttle={wanted.throttle_seconds}s daily={wanted.max_auto_guides_per_day} "
                    f"retention={wanted.retention_days} dnt={wanted.honor_dnt} identity={wanted.require_identity}",
                    app_id)
        return await _render(request, app_id, notice="Settings saved.")
