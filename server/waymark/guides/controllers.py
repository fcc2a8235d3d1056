"""REST for guides as code: list, push (atomic, optionally archiving what the files no longer hold), rollback,
archive, history. Secret key only."""

from __future__ import annotations

import builtins
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Reference
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_422_UNPROCESSABLE_ENTITY

from waymark.apps.auth import secret_app_id
from waymark.db.scope import app_session
from waymark.guides.loader import validate_sources
from waymark.guides.publishing import items_from_loaded
from waymark.guides.services import (
    ArchiveResult,
    GuideSummary,
    NothingToRollBack,
    PublishRefused,
    PublishResult,
    VersionInfo,
    archive,
    archive_missing,
    list_guides,
    list_versions,
    publish,
    rollback,
)
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.wire import Line

__all__ = ["GuideController"]


class GuideSource(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[Line, msgspec.Meta(min_length=1, max_length=500)]
    """File name, used in error messages and kept with the version."""
    content: Annotated[str, msgspec.Meta(max_length=256 * 1024)]
    """The YAML text of the guide file."""


class PushRequest(msgspec.Struct, forbid_unknown_fields=True):
    files: Annotated[list[GuideSource], msgspec.Meta(min_length=1, max_length=500)]
    prune: bool = False
    """Also archive the published guides these files do not hold (policies excepted: archive them by id)."""


class PushResponse(msgspec.Struct):
    published: list[PublishResult]
    archived: list[ArchiveResult] = msgspec.field(default_factory=list)


class PushRejected(msgspec.Struct):
    status_code: int
    detail: str
    errors: list[str]


class GuideController(Controller):
    path = "/api/v1/guide-definitions"
    tags = ["guides"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="ListGuides", operation_class=documented(400, 401, 403, 503))
    async def list(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> list[GuideSummary]:
        """Every guide of the app with its published and latest version."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await list_guides(session, app_id)

    @post("/push", operation_id="PushGuides", status_code=HTTP_200_OK,
          responses={HTTP_422_UNPROCESSABLE_ENTITY: ResponseSpec(
              PushRejected, description="A guide file has problems: nothing was published.")},
          operation_class=documented(400, 401, 403, 413, 503, media={
              "application/json": Reference(ref="#/components/schemas/PushResponse")}))
    async def push(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], data: JSONBody[PushRequest]
    ) -> Response[PushResponse | PushRejected]:
        """Validate and publish guide files: every file becomes the published version, or none does."""
        loaded, errors = validate_sources([(f.name, f.content) for f in data.files])
        if errors:
            return Response(
                PushRejected(
                    status_code=HTTP_422_UNPROCESSABLE_ENTITY,
                    detail=f"{len(errors)} problem(s) in the guide files; nothing was published",
                    errors=[str(e) for e in errors],
                ),
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                results = await publish(session, app_id, items_from_loaded(loaded), request.app.state.publish_hooks)
                archived = await archive_missing(session, app_id, {g.guide.id for g in loaded}) if data.prune else []
            except PublishRefused as exc:
                return Response(PushRejected(
                    status_code=HTTP_422_UNPROCESSABLE_ENTITY, errors=exc.problems,
                    detail=f"{len(exc.problems)} problem(s) refused the push; nothing was published",
                ), status_code=HTTP_422_UNPROCESSABLE_ENTITY)
            await session.commit()
        request.app.state.snapshots.invalidate(app_id)
        return Response(PushResponse(published=results, archived=archived))

    @post("/{guide_id:str}/rollback", operation_id="RollbackGuide", status_code=HTTP_200_OK,
          operation_class=documented(400, 401, 403, 404, 503))
    async def rollback(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], guide_id: FromPath[str]
    ) -> PublishResult:
        """Publish the version before the current one again."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                result = await rollback(session, app_id, guide_id)
            except NothingToRollBack as exc:
                raise NotFoundException(str(exc)) from exc
            await session.commit()
        request.app.state.snapshots.invalidate(app_id)
        return result

    @post("/{guide_id:str}/archive", operation_id="ArchiveGuide", status_code=HTTP_200_OK,
          operation_class=documented(400, 401, 403, 404, 503))
    async def archive(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], guide_id: FromPath[str]
    ) -> ArchiveResult:
        """Stop delivering a guide (a policy too); its versions and history are kept, and a push publishes it again."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                result = await archive(session, app_id, guide_id)
            except NothingToRollBack as exc:
                raise NotFoundException(str(exc)) from exc
            await session.commit()
        request.app.state.snapshots.invalidate(app_id)
        return result

    @get("/{guide_id:str}/versions", operation_id="ListGuideVersions",
         operation_class=documented(400, 401, 403, 404, 503))
    async def versions(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], guide_id: FromPath[str]
    ) -> builtins.list[VersionInfo]:  # `list` here would name the handler above
        """Every version of one guide, newest first."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                return await list_versions(session, app_id, guide_id)
            except NothingToRollBack as exc:
                raise NotFoundException(str(exc)) from exc
