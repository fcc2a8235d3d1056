"""``/admin/apps/{app_id}/alerts``: the app's alert rules and their firings (readers); creating, editing and
deleting rules (owners)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, PathParameter, QueryParameter
from litestar.response import Template

from waymark.access.deps import audit, requires
from waymark.access.principal import Action
from waymark.admin.app_context import form_of, load_app
from waymark.admin.forms import FormProblems
from waymark.admin.render import page
from waymark.admin.templating import principal_of
from waymark.alerts.rules import CONDITIONS, METRICS, PERIODS, RuleError, RuleSpec, check_rule
from waymark.alerts.services import NoSuchRule, TooManyRules, delete_rule, firings, list_rules, save_rule
from waymark.db.scope import app_session
from waymark.wire import INT32_MAX

__all__ = ["AlertPages", "read_rule_form"]

_Id = Annotated[int, PathParameter(ge=1, le=INT32_MAX)]
"""An id as stored (a 32-bit integer): a larger one is a 400, never a database error."""

_BLANK = {"rule_id": "", "name": "", "metric": "active_visitors", "target": "", "period": "day",
          "condition": "below", "value": "", "enabled": "on"}


def read_rule_form(form: dict[str, str]) -> tuple[int | None, RuleSpec | None, FormProblems]:
    """(the rule's id when editing, the rule or None, the problems by field)."""
    problems = FormProblems()
    raw_id = (form.get("rule_id") or "").strip()
    rule_id: int | None = None
    if raw_id:
        if not raw_id.isdigit() or len(raw_id) > 10 or not 1 <= int(raw_id) <= INT32_MAX:
            problems.by_field["rule_id"] = "The rule to edit is not known; reload the page."
            return None, None, problems
        rule_id = int(raw_id)
    raw_value = (form.get("value") or "").strip()
    try:
        value = float(raw_value)
    except ValueError:
        value = math.nan
    try:
        spec = check_rule(form.get("name") or "", form.get("metric") or "", form.get("target") or "",
                          form.get("period") or "", form.get("condition") or "", value,
                          form.get("enabled") in ("on", "true", "1"))
    except RuleError as exc:
        problems.by_field[exc.field] = f"{exc.field.capitalize()}: {exc.message}."
        return rule_id, None, problems
    return rule_id, spec, problems


async def _render(request: Request[Any, Any, Any], app_id: str, *, notice: str = "",
                  problems: FormProblems | None = None, form: dict[str, str] | None = None,
                  edit: int | None = None, status_code: int = 200, start: dict[str, str] | None = None
                  ) -> Template:
    """``start``: a new rule's metric and target, as a report's "watch" link gives them."""
    principal = principal_of(request)
    can_edit = principal is not None and principal.allows(Action.MANAGE, app_id)
    async with app_session(request.app.state.sessionmaker, app_id) as session:
        app = await load_app(session, app_id)
        rules = await list_rules(session, app_id)
        fired = await firings(session, app_id, 100)
    values = dict(form) if form is not None else {**_BLANK, **(start or {})}
    chosen = next((r for r in rules if r.id == edit), None) if form is None else None
    if chosen is not None:
        values = {"rule_id": str(chosen.id), "name": chosen.name, "metric": chosen.metric, "target": chosen.target,
                  "period": chosen.period, "condition": chosen.condition, "value": f"{chosen.value:g}",
                  "enabled": "on" if chosen.enabled else ""}
    return page(request, "apps/alerts.html", {
        "app": app, "rules": rules, "firings": fired, "can_edit": can_edit, "values": values,
        "metrics": METRICS, "periods": PERIODS, "conditions": CONDITIONS,
        "problems": problems.by_field if problems else {}, "notice": notice,
        "error": problems.summary() if problems else "",
    }, status_code=status_code)


class AlertPages(Controller):
    path = "/admin/apps/{app_id:str}/alerts"
    include_in_schema = False

    @get("/", name="admin-alerts", guards=[requires(Action.READ_APP)])
    async def show(self, request: Request[Any, Any, Any], app_id: FromPath[str], edit: int | None = None,
                   metric: Annotated[str | None, QueryParameter(max_length=40)] = None,
                   target: Annotated[str | None, QueryParameter(max_length=300)] = None) -> Template:
        """``metric`` and ``target`` fill the new rule's form (a report links here with its own)."""
        start = {"metric": metric, "target": target or ""} if metric in METRICS else None
        return await _render(request, app_id, edit=edit, start=start)

    @post("/", status_code=200, guards=[requires(Action.MANAGE)])
    async def save(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        form = await form_of(request)
        rule_id, spec, problems = read_rule_form(form)
        if spec is None:
            return await _render(request, app_id, problems=problems, form=form, status_code=400)
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                saved = await save_rule(session, app_id, spec, rule_id)
                await session.commit()
        except NoSuchRule:
            return await _render(request, app_id, problems=FormProblems({"rule_id": "That rule no longer exists."}),
                                 form=form, status_code=404)
        except TooManyRules as exc:
            return await _render(request, app_id, problems=FormProblems({"name": str(exc)}), form=form,
                                 status_code=400)
        await audit(request, "alert_rule.update" if rule_id else "alert_rule.create", f"#{saved.id} {saved.name}",
                    app_id)
        return await _render(request, app_id, notice=f"Rule {saved.name!r} saved.")

    @post("/{rule_id:int}/delete", status_code=200, guards=[requires(Action.MANAGE)])
    async def remove(self, request: Request[Any, Any, Any], app_id: FromPath[str], rule_id: _Id
                     ) -> Template:
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                await delete_rule(session, app_id, rule_id)
                await session.commit()
        except NoSuchRule:
            return await _render(request, app_id, problems=FormProblems({"rule_id": "That rule no longer exists."}),
                                 status_code=404)
        await audit(request, "alert_rule.delete", f"#{rule_id}", app_id)
        return await _render(request, app_id, notice="Rule deleted, with its firings.")
