"""REST for privacy (secret key): app settings, tenant privacy, a visitor's export and erasure, erasures."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from waymark.apps.auth import secret_app_id
from waymark.clock import utcnow
from waymark.db.scope import app_session
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.privacy.retention import purge_app
from waymark.privacy.schemas import (
    AppPrivacy,
    ErasureRecord,
    PurgeRequest,
    PurgeResult,
    TenantPrivacy,
    VisitorExport,
)
from waymark.privacy.services import (
    PrivacyProblem,
    get_app_privacy,
    get_tenant_privacy,
    set_app_privacy,
    set_tenant_privacy,
)
from waymark.privacy.visitors import erase_visitor, export_visitor, list_erasures

__all__ = ["PrivacyController"]


def _unknown_visitor(visitor_id: str) -> NotFoundException:
    return NotFoundException(f"no data is stored for visitor {visitor_id!r}, and it was never erased")


class PrivacyController(Controller):
    path = "/api/v1"
    tags = ["privacy"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/settings", operation_id="GetAppSettings", cache=False, operation_class=documented(400, 401, 403, 503))
    async def get_settings(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> AppPrivacy:
        """The app's settings: Do Not Track, the retention period of events and the attention budget."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await get_app_privacy(session, app_id)

    @put("/settings", operation_id="SetAppSettings", operation_class=documented(400, 401, 403, 413, 503))
    async def set_settings(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], data: JSONBody[AppPrivacy]
    ) -> AppPrivacy:
        """Replace the app's privacy settings (``retention_days: null`` keeps events forever) and, when given,
        its attention budget: ``throttle_seconds`` and ``max_auto_guides_per_day`` (0: no daily maximum)."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            stored = await set_app_privacy(session, app_id, data)
            await session.commit()
        request.app.state.snapshots.invalidate(app_id)  # this worker applies it at once, others at their next check
        return stored

    @get("/tenants/{tenant_id:str}/privacy", operation_id="GetTenantPrivacy", cache=False,
         operation_class=documented(400, 401, 403, 404, 503))
    async def get_tenant(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], tenant_id: FromPath[str]
    ) -> TenantPrivacy:
        """A tenant's privacy settings: opted out of collection, visitor fields never stored."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            found = await get_tenant_privacy(session, app_id, tenant_id)
        if found is None:
            raise NotFoundException(f"unknown tenant {tenant_id!r} (a PUT creates it)")
        return found

    @put("/tenants/{tenant_id:str}/privacy", operation_id="SetTenantPrivacy",
         operation_class=documented(400, 401, 403, 413, 503))
    async def set_tenant(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], tenant_id: FromPath[str],
        data: JSONBody[TenantPrivacy],
    ) -> TenantPrivacy:
        """Replace a tenant's privacy settings, creating the tenant if it is not known yet.

        Opting out refuses the tenant's events from now on. Dropped fields are removed from
        the tenant's visitors' stored metadata and identify events before this answers.
        """
        try:
            return await set_tenant_privacy(request.app.state.sessionmaker, app_id, tenant_id, data)
        except PrivacyProblem as exc:
            raise ClientException(str(exc)) from exc

    @get("/visitors/{visitor_id:str}/export", operation_id="ExportVisitor", cache=False,
         operation_class=documented(400, 401, 403, 404, 503))
    async def export(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], visitor_id: FromPath[str]
    ) -> VisitorExport:
        """Everything stored about one visitor (and the ids linked to them): profile, aliases, guide
        states, events, roll-ups, and earlier erasures."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            found = await export_visitor(session, app_id, visitor_id)
        if found is None:
            raise _unknown_visitor(visitor_id)
        return found

    @delete("/visitors/{visitor_id:str}", operation_id="EraseVisitor", status_code=HTTP_200_OK,
            operation_class=documented(400, 401, 403, 404, 503))
    async def erase(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], visitor_id: FromPath[str]
    ) -> ErasureRecord:
        """Erase everything stored about one visitor and record the erasure.

        Erasing again is allowed: it deletes whatever arrived since (``events_deleted: 0``
        when nothing did) and is recorded again.
        """
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            record = await erase_visitor(session, app_id, visitor_id)
            if record is None:
                raise _unknown_visitor(visitor_id)
            await session.commit()
        return record

    @get("/erasures", operation_id="ListErasures", cache=False, operation_class=documented(400, 401, 403, 503))
    async def erasures(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
        visitor: Annotated[str | None, QueryParameter(description="Only erasures of this visitor id.")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=10_000, description="At most this many, newest first.")]
        = 1000,
    ) -> list[ErasureRecord]:
        """The record of erasures, newest first."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await list_erasures(session, app_id, visitor, limit)

    @post("/retention/purge", operation_id="PurgeExpiredEvents", status_code=HTTP_200_OK,
          operation_class=documented(400, 401, 403, 413, 503))
    async def purge(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], data: JSONBody[PurgeRequest]
    ) -> PurgeResult:
        """Delete the app's events older than its retention period now (each server also does it periodically);
        ``dry_run`` counts them instead. An app that keeps events forever deletes nothing."""
        line = await purge_app(request.app.state.sessionmaker, app_id, utcnow(), data.dry_run)
        if line is None:
            return PurgeResult(retention_days=None, cutoff=None, deleted=0, dry_run=data.dry_run)
        return PurgeResult(retention_days=line.policy.days, cutoff=line.cutoff, deleted=line.deleted,
                           dry_run=data.dry_run)
