"""REST for saved cohorts, with the app's secret key: list, read, save (members refreshed at once), delete,
and the members of one."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from waymark.apps.auth import secret_app_id
from waymark.behaviour.cohort_refresh import refresh_cohort
from waymark.behaviour.cohorts import (
    CohortIn,
    CohortInUse,
    CohortInvalid,
    CohortMemberOut,
    CohortOut,
    NoSuchCohort,
    delete_cohort,
    get_cohort,
    list_cohorts,
    list_members,
    save_cohort,
)
from waymark.db.scope import app_session
from waymark.openapi_docs import SECRET_KEY, documented

__all__ = ["CohortController", "CohortMembers", "invalid_cohort"]


class CohortMembers(msgspec.Struct):
    cohort: str
    size: int
    members: list[CohortMemberOut]


def invalid_cohort(exc: CohortInvalid) -> ValidationException:
    """A 400 naming the faulty field of a cohort."""
    return ValidationException(detail=str(exc), extra=[{"key": exc.field, "message": exc.message}])


class CohortController(Controller):
    path = "/api/v1/cohorts"
    tags = ["cohorts"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="ListCohorts", cache=False, operation_class=documented(400, 401, 403, 503))
    async def list(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> list[CohortOut]:
        """Every cohort of the app with its size after the last refresh."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await list_cohorts(session, app_id)

    @get("/{cohort_id:str}", operation_id="GetCohort", cache=False,
         operation_class=documented(400, 401, 403, 404, 503))
    async def one(self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
                  cohort_id: FromPath[str]) -> CohortOut:
        """One cohort."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                return await get_cohort(session, app_id, cohort_id)
            except NoSuchCohort as exc:
                raise NotFoundException(str(exc)) from exc

    @put("/{cohort_id:str}", operation_id="PutCohort", status_code=HTTP_200_OK,
         operation_class=documented(400, 401, 403, 413, 503, created=True))
    async def put(self, request: Request[Any, Any, Any], app_id: NamedDependency[str], cohort_id: FromPath[str],
                  data: JSONBody[CohortIn]) -> Response[CohortOut]:
        """Create (201) or replace (200) a cohort; its members are computed before the answer."""
        sessionmaker = request.app.state.sessionmaker
        async with app_session(sessionmaker, app_id) as session:
            try:
                created = await save_cohort(session, app_id, cohort_id, data)
            except CohortInvalid as exc:
                raise invalid_cohort(exc) from exc
            await session.commit()
        await refresh_cohort(sessionmaker, app_id, cohort_id)
        async with app_session(sessionmaker, app_id) as session:
            saved = await get_cohort(session, app_id, cohort_id)
        return Response(saved, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @delete("/{cohort_id:str}", operation_id="DeleteCohort", status_code=HTTP_204_NO_CONTENT,
            operation_class=documented(400, 401, 403, 404, 503))
    async def delete(self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
                     cohort_id: FromPath[str]) -> None:
        """Delete a cohort and its members (400 while a published guide targets it)."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                await delete_cohort(session, app_id, cohort_id)
            except NoSuchCohort as exc:
                raise NotFoundException(str(exc)) from exc
            except CohortInUse as exc:
                raise ClientException(str(exc)) from exc
            await session.commit()

    @get("/{cohort_id:str}/members", operation_id="ListCohortMembers", cache=False,
         operation_class=documented(400, 401, 403, 404, 503))
    async def members(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], cohort_id: FromPath[str],
        limit: Annotated[int, QueryParameter(ge=1, le=10_000, description="How many members.")] = 1000,
        offset: Annotated[int, QueryParameter(ge=0, description="Skip this many (by visitor id).")] = 0,
    ) -> CohortMembers:
        """The cohort's members as of its last refresh, by visitor id, with when each entered."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                size, page = await list_members(session, app_id, cohort_id, limit, offset)
            except NoSuchCohort as exc:
                raise NotFoundException(str(exc)) from exc
        return CohortMembers(cohort=cohort_id, size=size, members=page)

