"""``/admin/apps/{app_id}/cohorts``: saved behavioural cohorts, their sizes and members; authors create,
edit and delete them (the rule as JSON or YAML text), and each save refreshes the cohort's members at once."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.deps import audit, requires, resolve_principal
from waymark.access.principal import Action
from waymark.admin.app_context import form_of, load_app
from waymark.admin.render import page, report_page
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
    guides_using,
    list_cohorts,
    list_members,
    parse_rule_text,
    save_cohort,
)
from waymark.db.scope import app_session

__all__ = ["MEMBERS_SHOWN", "CohortDetail", "CohortPages"]

MEMBERS_SHOWN = 10_000
"""Members listed on a cohort's page and in its exports at most (the API pages through all of them)."""
EXAMPLE_RULE = "all:\n  - {did: feature:export, at_least: 3, days: 14}\n  - {field: tenant.plan, op: eq, value: pro}\n"


class CohortDetail(msgspec.Struct):
    cohort: CohortOut
    size: int
    members: list[CohortMemberOut]
    """At most ``MEMBERS_SHOWN``, by visitor id."""
    guides: list[str]
    """Published guides whose segment names this cohort."""


def _rule_text(rule: Any) -> str:
    return json.dumps(rule, indent=2, ensure_ascii=False)


def _read_form(form: dict[str, str]) -> tuple[CohortIn | None, dict[str, str]]:
    try:
        rule = parse_rule_text(form.get("rule", ""))
    except CohortInvalid as exc:
        return None, {"rule": str(exc)}
    return CohortIn(name=form.get("name", "").strip(), description=form.get("description", "").strip(),
                    rule=rule), {}


def _problem(exc: CohortInvalid) -> dict[str, str]:
    """A problem under the form field it belongs to (every part of the rule is the rule's)."""
    name = exc.field if exc.field in ("id", "name", "description") else "rule"
    return {name: str(exc)}


async def _can_author(request: Request[Any, Any, Any], app_id: str) -> bool:
    principal = await resolve_principal(request)
    return principal is not None and principal.allows(Action.AUTHOR, app_id)


async def _save(session: AsyncSession, app_id: str, cohort_id: str, form: dict[str, str]) -> dict[str, str]:
    data, problems = _read_form(form)
    if data is None:
        return problems
    try:
        await save_cohort(session, app_id, cohort_id, data)
    except CohortInvalid as exc:
        return _problem(exc)
    await session.commit()
    return {}


class CohortPages(Controller):
    path = "/admin/apps/{app_id:str}/cohorts"
    include_in_schema = False

    async def _list(self, request: Request[Any, Any, Any], app_id: str, *, form: dict[str, str] | None = None,
                    problems: dict[str, str] | None = None, notice: str = "") -> Response[Any]:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            app = await load_app(session, app_id)
            cohorts = await list_cohorts(session, app_id)
            used = await guides_using(session, app_id)
        context = {
            "app": app, "base": f"/admin/apps/{app_id}/cohorts", "used": used,
            "can_author": await _can_author(request, app_id), "notice": notice,
            "values": form or {"rule": EXAMPLE_RULE}, "problems": problems or {},
            "error": " ".join((problems or {}).values()),
            "bars": [(c.name, c.size) for c in cohorts],
        }
        if problems:
            base = f"/admin/apps/{app_id}/cohorts"
            return page(request, "cohorts/list.html", {
                **context, "data": cohorts, "exports": {"json": base + "?format=json", "csv": base + "?format=csv"},
            }, status_code=400)
        rows: list[list[Any]] = [["id", "name", "description", "size", "refreshed_at", "updated_at", "rule"]]
        rows += [[c.id, c.name, c.description, c.size, c.refreshed_at, c.updated_at, json.dumps(c.rule)]
                 for c in cohorts]
        return report_page(request, template="cohorts/list.html", data=cohorts, csv_rows=rows,
                           filename=f"cohorts-{app_id}", context=context)

    async def _detail(self, request: Request[Any, Any, Any], app_id: str, cohort_id: str, *,
                      form: dict[str, str] | None = None, problems: dict[str, str] | None = None,
                      notice: str = "", status_code: int = 200) -> Response[Any]:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            app = await load_app(session, app_id)
            try:
                cohort = await get_cohort(session, app_id, cohort_id)
                size, members = await list_members(session, app_id, cohort_id, MEMBERS_SHOWN)
            except NoSuchCohort:
                return page(request, "cohorts/list.html", {
                    "app": app, "data": [], "base": f"/admin/apps/{app_id}/cohorts", "used": {}, "bars": [],
                    "can_author": False, "values": {}, "problems": {}, "exports": None,
                    "error": f"No cohort {cohort_id!r} in this app."}, status_code=404)
            guides = (await guides_using(session, app_id, cohort_id)).get(cohort_id, [])
        data = CohortDetail(cohort=cohort, size=size, members=members, guides=guides)
        base = f"/admin/apps/{app_id}/cohorts/{cohort_id}"
        context = {
            "app": app, "base": base, "can_author": await _can_author(request, app_id), "notice": notice,
            "values": form or {"name": cohort.name, "description": cohort.description,
                               "rule": _rule_text(cohort.rule)},
            "problems": problems or {}, "error": " ".join((problems or {}).values()),
            "member_rows": [(m.visitor, m.since.isoformat(timespec="seconds")) for m in members],
        }
        if status_code != 200:
            return page(request, "cohorts/detail.html", {
                **context, "data": data, "exports": {"json": base + "?format=json", "csv": base + "?format=csv"},
            }, status_code=status_code)
        rows: list[list[Any]] = [["visitor", "since"]] + [[m.visitor, m.since] for m in members]
        return report_page(request, template="cohorts/detail.html", data=data, csv_rows=rows,
                           filename=f"cohort-{app_id}-{cohort_id}", context=context)

    @get("/", name="admin-cohorts", guards=[requires(Action.READ_APP)])
    async def show(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Response[Any]:
        """Every cohort with its size; the form to create one (authors)."""
        return await self._list(request, app_id)

    @post("/", status_code=200, guards=[requires(Action.AUTHOR)])
    async def create(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Response[Any]:
        form = await form_of(request)
        cohort_id = form.get("id", "").strip()
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            exists = True
            try:
                await get_cohort(session, app_id, cohort_id)
            except NoSuchCohort:
                exists = False
            problems = {"id": f"id: a cohort {cohort_id!r} exists already; edit it on its page"} if exists else (
                await _save(session, app_id, cohort_id, form))
        if problems:
            return await self._list(request, app_id, form=form, problems=problems)
        size = await refresh_cohort(request.app.state.sessionmaker, app_id, cohort_id)
        await audit(request, "cohort.create", cohort_id, app_id)
        return await self._list(request, app_id, notice=f"Cohort {cohort_id} saved: {size} member(s) now.")

    @get("/{cohort_id:str}", name="admin-cohort", guards=[requires(Action.READ_APP)])
    async def detail(self, request: Request[Any, Any, Any], app_id: FromPath[str],
                     cohort_id: FromPath[str]) -> Response[Any]:
        """One cohort: its rule, its members (JSON and CSV at the same URL) and the guides that target it."""
        return await self._detail(request, app_id, cohort_id)

    @post("/{cohort_id:str}", status_code=200, guards=[requires(Action.AUTHOR)])
    async def edit(self, request: Request[Any, Any, Any], app_id: FromPath[str],
                   cohort_id: FromPath[str]) -> Response[Any]:
        form = await form_of(request)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                await get_cohort(session, app_id, cohort_id)
            except NoSuchCohort:
                problems: dict[str, str] | None = None
            else:
                problems = await _save(session, app_id, cohort_id, form)
        if problems is None:
            return await self._detail(request, app_id, cohort_id)  # answers 404
        if problems:
            return await self._detail(request, app_id, cohort_id, form=form, problems=problems, status_code=400)
        size = await refresh_cohort(request.app.state.sessionmaker, app_id, cohort_id)
        await audit(request, "cohort.update", cohort_id, app_id)
        return await self._detail(request, app_id, cohort_id, notice=f"Saved: {size} member(s) now.")

    @post("/{cohort_id:str}/delete", status_code=200, guards=[requires(Action.AUTHOR)])
    async def delete(self, request: Request[Any, Any, Any], app_id: FromPath[str],
                     cohort_id: FromPath[str]) -> Response[Any]:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                await delete_cohort(session, app_id, cohort_id)
                await session.commit()
            except NoSuchCohort:
                refused = None
            except CohortInUse as exc:
                refused = str(exc)
            else:
                refused = ""
        if refused is None:
            return await self._detail(request, app_id, cohort_id)  # answers 404
        if refused:
            return await self._detail(request, app_id, cohort_id, problems={"delete": refused}, status_code=400)
        await audit(request, "cohort.delete", cohort_id, app_id)
        return await self._list(request, app_id, notice=f"Cohort {cohort_id} deleted.")
