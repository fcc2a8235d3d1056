"""REST for pages, features (and clicks no feature tags yet) and the usage report. Secret key only."""

from __future__ import annotations

import builtins
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi.spec import OpenAPIHeader, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from waymark.analytics.reports import MAX_REPORT_DAYS, usage_csv, usage_report
from waymark.analytics.schemas import Feature, FeatureIn, Page, PageIn, UntaggedClick, UsageReport
from waymark.analytics.services import (
    DefinitionError,
    NoSuchDefinition,
    Saved,
    delete_definition,
    get_feature,
    get_page,
    list_features,
    list_pages,
    save_feature,
    save_page,
    untagged_clicks,
)
from waymark.apps.auth import secret_app_id
from waymark.db.models import utcnow
from waymark.db.scope import app_session
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.wire import day_problem

__all__ = ["FeatureController", "PageController", "ReportController"]


def _invalid(exc: DefinitionError) -> ValidationException:
    return ValidationException(detail=str(exc), extra=[{"key": exc.field, "message": exc.message}])


_REBUILT = {"X-Waymark-Rebuilt": OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING), required=True,
    description="How many stored events the new rule was applied to, or `no` when it did not change.",
)}


def _saved(saved: Saved) -> Response[Any]:
    return Response(saved.definition, status_code=HTTP_201_CREATED if saved.created else HTTP_200_OK,
                    headers={"X-Waymark-Rebuilt": str(saved.counted) if saved.rebuilt else "no"})


class PageController(Controller):
    path = "/api/v1/pages"
    tags = ["analytics"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="ListPages", cache=False, operation_class=documented(400, 401, 403, 503))
    async def list(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> list[Page]:
        """Every page of the app (named URL rules), by id."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await list_pages(session, app_id)

    @get("/{page_id:str}", operation_id="GetPage", cache=False, operation_class=documented(400, 401, 403, 404, 503))
    async def get(self, request: Request[Any, Any, Any], app_id: NamedDependency[str], page_id: FromPath[str]) -> Page:
        """One page."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                return await get_page(session, app_id, page_id)
            except NoSuchDefinition as exc:
                raise NotFoundException(str(exc)) from exc

    @put("/{page_id:str}", operation_id="PutPage", status_code=HTTP_200_OK,
         operation_class=documented(400, 401, 403, 413, 503, created=True, headers=_REBUILT))
    async def put(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], page_id: FromPath[str],
        data: JSONBody[PageIn]
    ) -> Response[Page]:
        """Create (201) or replace (200) a page. A new or changed rule is applied to every stored page view
        and visible time before the answer (``X-Waymark-Rebuilt`` says how many views it counted)."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                saved = await save_page(session, app_id, page_id, data)
            except DefinitionError as exc:
                raise _invalid(exc) from exc
            await session.commit()
        return _saved(saved)

    @delete("/{page_id:str}", operation_id="DeletePage", status_code=HTTP_204_NO_CONTENT,
            operation_class=documented(400, 401, 403, 404, 503))
    async def delete(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], page_id: FromPath[str]
    ) -> None:
        """Delete a page and its usage figures."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                await delete_definition(session, "page", app_id, page_id)
            except NoSuchDefinition as exc:
                raise NotFoundException(str(exc)) from exc
            await session.commit()


class FeatureController(Controller):
    path = "/api/v1/features"
    tags = ["analytics"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="ListFeatures", cache=False, operation_class=documented(400, 401, 403, 503))
    async def list(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> list[Feature]:
        """Every feature of the app (named element selectors), by id."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await list_features(session, app_id)

    @get("/untagged", operation_id="ListUntaggedClicks", cache=False,
         operation_class=documented(400, 401, 403, 503))
    async def untagged(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="How many elements.")] = 20,
        days: Annotated[int, QueryParameter(ge=1, le=365, description="Look back this many days.")] = 30,
    ) -> builtins.list[UntaggedClick]:  # `list` here would name the handler above
        """The most-clicked elements of the last ``days`` days that no feature matches yet, with a selector
        that would tag each: candidates for new features."""
        since = utcnow() - timedelta(days=days)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await untagged_clicks(session, app_id, since, limit)

    @get("/{feature_id:str}", operation_id="GetFeature", cache=False,
         operation_class=documented(400, 401, 403, 404, 503))
    async def get(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], feature_id: FromPath[str]
    ) -> Feature:
        """One feature."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                return await get_feature(session, app_id, feature_id)
            except NoSuchDefinition as exc:
                raise NotFoundException(str(exc)) from exc

    @put("/{feature_id:str}", operation_id="PutFeature", status_code=HTTP_200_OK,
         operation_class=documented(400, 401, 403, 413, 503, created=True, headers=_REBUILT))
    async def put(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], feature_id: FromPath[str],
        data: JSONBody[FeatureIn]
    ) -> Response[Feature]:
        """Create (201) or replace (200) a feature. A new or changed selector or page is applied to every
        stored click before the answer: tagging today counts the clicks since capture began."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                saved = await save_feature(session, app_id, feature_id, data)
            except DefinitionError as exc:
                raise _invalid(exc) from exc
            await session.commit()
        return _saved(saved)

    @delete("/{feature_id:str}", operation_id="DeleteFeature", status_code=HTTP_204_NO_CONTENT,
            operation_class=documented(400, 401, 403, 404, 503))
    async def delete(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], feature_id: FromPath[str]
    ) -> None:
        """Delete a feature and its usage figures."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                await delete_definition(session, "feature", app_id, feature_id)
            except NoSuchDefinition as exc:
                raise NotFoundException(str(exc)) from exc
            await session.commit()


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/usage", operation_id="UsageReport", cache=False, operation_class=documented(
        400, 401, 403, 503, media={"application/json": Reference(ref="#/components/schemas/UsageReport"),
                                   "text/csv": Schema(type=OpenAPIType.STRING)}))
    async def usage(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        tenant: Annotated[str | None, QueryParameter(description="Only this tenant (default: every tenant).")] = None,
        start: Annotated[date | None, QueryParameter(name="from", description="First UTC day (default: 29 days "
                                                                                  "before `to`).")] = None,
        end: Annotated[date | None, QueryParameter(name="to", description="Last UTC day, included "
                                                                            "(default: today).")] = None,
        format: Annotated[Literal["json", "csv"], QueryParameter(description="json or csv.")] = "json",
    ) -> Response[UsageReport | str]:
        """Page views, feature clicks, track events, guides seen, days active per visitor and active visitors
        per day, from the daily roll-up: as fast at ten million events as at a thousand."""
        for name, day in (("from", start), ("to", end)):
            problem = day_problem(day) if day else None
            if problem:
                raise ValidationException(detail=f"{name}: {problem}", extra=[{"key": name, "message": problem}])
        end = end or datetime.now(UTC).date()
        start = start or end - timedelta(days=29)
        if start > end:
            raise ValidationException(detail=f"from ({start}) is after to ({end})")
        if (end - start).days + 1 > MAX_REPORT_DAYS:
            raise ValidationException(detail=f"at most {MAX_REPORT_DAYS} days per report "
                                             f"(asked for {(end - start).days + 1})")
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            report = await usage_report(session, app_id, tenant, start, end)
        if format == "csv":
            name = re.sub(r"[^A-Za-z0-9._-]", "_", f"usage-{tenant or 'all'}-{start}-{end}.csv")
            return Response(usage_csv(report), media_type="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return Response(report)
