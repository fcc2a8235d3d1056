"""``/admin/apps/{app_id}/milestones``: product-qualified tenants. The milestones with how many tenants hold each
(bar chart beside the table), the flagged tenants, the form to define one (owners) and the flags as CSV."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect

from waymark.access.deps import audit, requires
from waymark.access.principal import Action, Principal
from waymark.admin.milestone_form import FORM_FIELDS, form_values, read_milestone_form
from waymark.admin.render import page, report_page
from waymark.behaviour.milestone_api import flags_csv
from waymark.behaviour.milestone_schemas import MilestonesPage
from waymark.behaviour.milestone_store import (
    NoSuchMilestone,
    crm_field,
    delete_milestone,
    evaluate_app,
    flag_rows,
    list_milestones,
    save_milestone,
    set_crm_field,
)
from waymark.behaviour.milestone_webhooks import post_changes
from waymark.behaviour.milestones import KINDS, MilestoneError
from waymark.clock import utcnow
from waymark.db.scope import Scope, app_session

__all__ = ["MilestonePages"]

_Scope = NamedDependency[Scope]
_Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
SHOWN_FLAGS = 200
"""Flagged tenants listed on the page (the CSV has them all)."""


class MilestonePages(Controller):
    path = "/admin/apps/{app_id:str}/milestones"
    include_in_schema = False

    async def _page(self, request: Request[Any, Any, Any], scope: Scope, principal: Principal | None, *,
                    values: dict[str, str] | None = None, problems: dict[str, str] | None = None,
                    error: str = "", status: int = 200) -> Response[Any]:
        app_id = scope.app_id
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            milestones = await list_milestones(session, app_id, with_counts=True)
            data = MilestonesPage(crm_field=await crm_field(session, app_id), milestones=milestones,
                                  flags=await flag_rows(session, app_id))
        editing = request.query_params.get("edit")
        if values is None:
            found = next((m for m in milestones if m.id == editing), None)
            values = form_values(found) if found else {name: "" for name in FORM_FIELDS}
        saved = request.query_params.get("saved")
        context = {
            "scope": scope, "kinds": KINDS, "values": values, "problems": problems or {}, "error": error,
            "can_manage": principal is not None and principal.allows(Action.MANAGE, app_id),
            "shown_flags": [f for f in data.flags if f.active][:SHOWN_FLAGS],
            "notice": f"Milestone {saved} saved and evaluated." if saved else "",
        }
        if status != 200:
            return page(request, "milestones/list.html", {**context, "data": data, "exports": None},
                        status_code=status)
        return report_page(request, template="milestones/list.html", data=data, csv_rows=flags_csv(data.flags),
                           filename="milestone-flags", context=context)

    @get("/", guards=[requires(Action.READ_APP)], name="admin-milestones")
    async def show(self, request: Request[Any, Any, Any], access_scope: _Scope,
                   principal: NamedDependency[Principal | None]) -> Response[Any]:
        """The milestones, how many tenants hold each, the flagged tenants; ``?format=csv``: every flag, keyed by
        tenant id and CRM id."""
        return await self._page(request, access_scope, principal)

    @post("/", guards=[requires(Action.MANAGE)], opt={"action": Action.MANAGE}, status_code=303)
    async def save(self, request: Request[Any, Any, Any], access_scope: _Scope,
                   principal: NamedDependency[Principal | None], data: _Form) -> Response[Any]:
        """Create or replace a milestone, and evaluate it for every tenant at once."""
        form = {k: str(v) for k, v in data.items() if k != "_csrf_token"}
        app_id, now = access_scope.app_id, utcnow()
        try:
            milestone_id, definition = read_milestone_form(form)
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                await save_milestone(session, app_id, milestone_id, definition, now)
                changed = await evaluate_app(session, app_id, now, only=milestone_id)
                await post_changes(session, app_id, now)
                await session.commit()
        except MilestoneError as exc:
            return await self._page(request, access_scope, principal, values=form, status=400,
                                    problems={exc.field: exc.message}, error=str(exc))
        await audit(request, "milestone.save", f"{milestone_id}: {definition.describe()} ({len(changed)} changed)",
                    app_id)
        return Redirect(f"/admin/apps/{app_id}/milestones?saved={milestone_id}", status_code=303)

    @post("/{milestone_id:str}/delete", guards=[requires(Action.MANAGE)], opt={"action": Action.MANAGE},
          status_code=303)
    async def delete(self, request: Request[Any, Any, Any], access_scope: _Scope) -> Response[Any]:
        """Delete a milestone and its flags."""
        app_id, milestone_id = access_scope.app_id, str(request.path_params["milestone_id"])
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                await delete_milestone(session, app_id, milestone_id)
                await session.commit()
        except NoSuchMilestone as exc:
            raise NotFoundException(str(exc)) from exc
        await audit(request, "milestone.delete", milestone_id, app_id)
        return Redirect(f"/admin/apps/{app_id}/milestones", status_code=303)

    @post("/settings", guards=[requires(Action.MANAGE)], opt={"action": Action.MANAGE}, status_code=303)
    async def settings(self, request: Request[Any, Any, Any], access_scope: _Scope,
                       principal: NamedDependency[Principal | None], data: _Form) -> Response[Any]:
        """The tenant metadata field the export reads the CRM id from."""
        app_id = access_scope.app_id
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                field = await set_crm_field(session, app_id, str(data.get("crm_field", "")).strip())
                await session.commit()
        except MilestoneError as exc:
            return await self._page(request, access_scope, principal, status=400, error=str(exc))
        await audit(request, "milestone.crm_field", field, app_id)
        return Redirect(f"/admin/apps/{app_id}/milestones", status_code=303)
