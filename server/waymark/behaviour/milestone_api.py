"""``/api/v1/milestones``: define product-qualified-tenant milestones and read every tenant's flags. Secret key only."""

from __future__ import annotations

import builtins
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from waymark.apps.auth import secret_app_id
from waymark.behaviour.milestone_schemas import FlagRow, MilestoneOut
from waymark.behaviour.milestone_store import (
    NoSuchMilestone,
    delete_milestone,
    evaluate_app,
    flag_rows,
    get_milestone,
    list_milestones,
    save_milestone,
)
from waymark.behaviour.milestone_webhooks import post_changes
from waymark.behaviour.milestones import MilestoneError, parse_definition, parse_milestone_id
from waymark.clock import utcnow
from waymark.csv_cells import csv_bytes
from waymark.db.scope import app_session
from waymark.openapi_docs import SECRET_KEY, documented

__all__ = ["MilestoneController", "flags_csv", "invalid"]


def invalid(exc: MilestoneError) -> ValidationException:
    """A 400 naming the field of the definition that is wrong."""
    return ValidationException(detail=str(exc), extra=[{"key": exc.field, "message": exc.message}])


def flags_csv(rows: builtins.list[FlagRow]) -> builtins.list[builtins.list[Any]]:
    """The flags export: one row per tenant and milestone, keyed by tenant id and CRM id."""
    head = ["tenant", "crm_id", "milestone", "milestone_name", "active", "became_true_at", "became_false_at"]
    return [head] + [[r.tenant, r.crm_id, r.milestone, r.name, r.active, r.became_true_at, r.became_false_at]
                     for r in rows]


def _id(milestone_id: str) -> str:
    try:
        return parse_milestone_id(milestone_id)
    except MilestoneError as exc:
        raise invalid(exc) from exc


class MilestoneController(Controller):
    path = "/api/v1/milestones"
    tags = ["milestones"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="ListMilestones", cache=False, operation_class=documented(400, 401, 403, 503))
    async def list(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> builtins.list[MilestoneOut]:
        """Every milestone of the app, with how many tenants hold each now."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await list_milestones(session, app_id, with_counts=True)

    @get("/flags", operation_id="MilestoneFlags", cache=False, operation_class=documented(
        400, 401, 403, 503, media={"application/json": Schema(type=OpenAPIType.ARRAY),
                                   "text/csv": Schema(type=OpenAPIType.STRING)}))
    async def flags(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        tenant: Annotated[str | None, QueryParameter(description="Only this tenant (default: every tenant).")] = None,
        format: Annotated[Literal["json", "csv"], QueryParameter(description="json or csv.")] = "json",
    ) -> Response[Any]:
        """Every tenant's flag on every milestone it holds or held: whether it holds now, when it became true
        and when it last stopped, keyed by tenant id and the CRM id from the tenant's metadata (the field
        is the app's setting, ``crm_id`` by default). The sync a sales team's CRM needs."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            rows = await flag_rows(session, app_id, tenant)
        if format == "csv":
            return Response(csv_bytes(flags_csv(rows)), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="milestone-flags.csv"'})
        return Response(rows)

    @get("/{milestone_id:str}", operation_id="GetMilestone", cache=False,
         operation_class=documented(400, 401, 403, 404, 503))
    async def get(self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
                  milestone_id: FromPath[str]) -> MilestoneOut:
        """One milestone."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                return await get_milestone(session, app_id, _id(milestone_id))
            except NoSuchMilestone as exc:
                raise NotFoundException(str(exc)) from exc

    @put("/{milestone_id:str}", operation_id="PutMilestone", status_code=HTTP_200_OK,
         operation_class=documented(400, 401, 403, 413, 503, created=True))
    async def put(self, request: Request[Any, Any, Any], app_id: NamedDependency[str], milestone_id: FromPath[str],
                  data: dict[str, Any]) -> Response[MilestoneOut]:
        """Create (201) or replace (200) a milestone, and evaluate it for every tenant before answering.

        ``{"kind": "visitors_did", "name": …, "ref": "feature:export", "at_least": 3, "within_days": 7}``,
        ``{"kind": "active_share", "name": …, "field": "seats", "percent": 80, "days": 30}`` or
        ``{"kind": "events_count", "name": …, "ref": "event:Invoice", "at_least": 10, "days": 30}``."""
        milestone_id = _id(milestone_id)
        try:
            definition = parse_definition(data)
        except MilestoneError as exc:
            raise invalid(exc) from exc
        now = utcnow()
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                _, created = await save_milestone(session, app_id, milestone_id, definition, now)
            except MilestoneError as exc:
                raise invalid(exc) from exc
            await evaluate_app(session, app_id, now, only=milestone_id)
            await post_changes(session, app_id, now)
            await session.commit()
            saved = next(m for m in await list_milestones(session, app_id, with_counts=True) if m.id == milestone_id)
        return Response(saved, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @delete("/{milestone_id:str}", operation_id="DeleteMilestone", status_code=HTTP_204_NO_CONTENT,
            operation_class=documented(400, 401, 403, 404, 503))
    async def delete(self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
                     milestone_id: FromPath[str]) -> None:
        """Delete a milestone and its flags (the changes already recorded stay)."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                await delete_milestone(session, app_id, _id(milestone_id))
            except NoSuchMilestone as exc:
                raise NotFoundException(str(exc)) from exc
            await session.commit()
