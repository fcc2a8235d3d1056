"""``/admin/apps/{app_id}/privacy`` (owners): tenant opt-out and dropped fields, a visitor's export and erasure."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import String, cast, or_, select

from waymark.access.deps import audit, requires
from waymark.access.principal import Action
from waymark.admin.app_context import form_of, load_app
from waymark.admin.forms import FormProblems, read_tenant_privacy
from waymark.admin.render import page
from waymark.db.models import Tenant
from waymark.db.scope import app_session
from waymark.privacy.schemas import TenantPrivacy
from waymark.privacy.services import PrivacyProblem, get_tenant_privacy, set_tenant_privacy
from waymark.privacy.visitors import erase_visitor, export_visitor, list_erasures

__all__ = ["PrivacyPage"]

_LISTED = 500
"""Tenants with a privacy setting shown on the page (the rest are found by id)."""


async def _render(request: Request[Any, Any, Any], app_id: str, *, notice: str = "", error: str = "",
                  problems: FormProblems | None = None, tenant_form: dict[str, str] | None = None,
                  status_code: int = 200) -> Template:
    async with app_session(request.app.state.sessionmaker, app_id) as session:
        app = await load_app(session, app_id)
        tenants = (await session.execute(
            select(Tenant.id, Tenant.opted_out, Tenant.drop_fields)
            .where(Tenant.app_id == app_id, or_(Tenant.opted_out.is_(True), cast(Tenant.drop_fields, String) != "[]"))
            .order_by(Tenant.id).limit(_LISTED))).all()
        erasures = await list_erasures(session, app_id, None, 20)
        asked = request.query_params.get("tenant", "").strip()[:200] if tenant_form is None else ""
        current = await get_tenant_privacy(session, app_id, asked) if asked else None
    if tenant_form is None:
        tenant_form = {"tenant_id": asked, "opted_out": "on" if current and current.opted_out else "",
                       "drop_fields": ", ".join(current.drop_fields) if current else ""}
    return page(request, "apps/privacy.html", {
        "app": app, "tenants": [{"id": t.id, "opted_out": t.opted_out, "drop_fields": t.drop_fields or []}
                                for t in tenants],
        "erasures": erasures, "tenant_form": tenant_form, "problems": problems.by_field if problems else {},
        "unknown_tenant": bool(asked) and current is None, "notice": notice,
        "error": error or (problems.summary() if problems else ""),
    }, status_code=status_code)


def _visitor(form: dict[str, str]) -> str:
    return (form.get("visitor_id") or "").strip()[:200]


class PrivacyPage(Controller):
    path = "/admin/apps/{app_id:str}/privacy"
    guards = [requires(Action.MANAGE)]
    include_in_schema = False

    @get("/", name="admin-privacy")
    async def show(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        return await _render(request, app_id)

    @post("/tenant", status_code=200)
    async def save_tenant(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        form = await form_of(request)
        wanted, problems = read_tenant_privacy(form)
        if wanted is None:
            return await _render(request, app_id, problems=problems, tenant_form=form, status_code=400)
        try:
            stored = await set_tenant_privacy(request.app.state.sessionmaker, app_id, wanted.tenant_id,
                                              TenantPrivacy(opted_out=wanted.opted_out, drop_fields=wanted.drop_fields))
        except PrivacyProblem as exc:
            return await _render(request, app_id, error=str(exc), tenant_form=form, status_code=400)
        await audit(request, "tenant_privacy.update",
                    f"{wanted.tenant_id}: opted_out={stored.opted_out} drop={','.join(stored.drop_fields)}", app_id)
        dropped = ", ".join(stored.drop_fields) or "none"
        state = "opted out of collection" if stored.opted_out else "collected"
        return await _render(request, app_id, tenant_form={**form, "drop_fields": ", ".join(stored.drop_fields)},
                             notice=f"Tenant {wanted.tenant_id}: {state}; fields never stored: {dropped}.")

    @post("/export", status_code=200)
    async def export(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Response[Any]:
        visitor = _visitor(await form_of(request))
        if not visitor:
            return await _render(request, app_id, error="Visitor: give the visitor's id.", status_code=400)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            found = await export_visitor(session, app_id, visitor)
        if found is None:
            return await _render(request, app_id, status_code=404,
                                 error=f"No data is stored for visitor {visitor!r}, and it was never erased.")
        await audit(request, "visitor.export", visitor, app_id)
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in visitor)[:80]
        return Response(msgspec.json.encode(found), media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="visitor-{name}.json"'})

    @post("/erase", status_code=200)
    async def erase(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        visitor = _visitor(await form_of(request))
        if not visitor:
            return await _render(request, app_id, error="Visitor: give the visitor's id.", status_code=400)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            record = await erase_visitor(session, app_id, visitor)
            if record is not None:
                await session.commit()
        if record is None:
            return await _render(request, app_id, status_code=404,
                                 error=f"No data is stored for visitor {visitor!r}, and it was never erased.")
        await audit(request, "visitor.erase", visitor, app_id)
        return await _render(request, app_id, notice=(
            f"Visitor {visitor} erased: {record.events_deleted} events deleted; "
            f"{record.evidence_kept} policy decisions kept as evidence."))
