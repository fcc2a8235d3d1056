"""``/api/v1/alerts`` (rules and their firings) and ``/api/v1/webhooks/deliveries`` (the delivery log). Secret key."""

from __future__ import annotations

import builtins
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from waymark.alerts.rules import RuleError, RuleSpec, check_rule
from waymark.alerts.schemas import AlertFiringOut, AlertRuleIn, AlertRuleOut
from waymark.alerts.services import NoSuchRule, TooManyRules, delete_rule, firings, get_rule, list_rules, save_rule
from waymark.apps.auth import secret_app_id
from waymark.db.scope import app_session
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.webhooks.services import DeliveryAttempt, delivery_log
from waymark.wire import INT32_MAX

__all__ = ["AlertController", "WebhookDeliveryController", "invalid_rule", "rule_from"]


RuleId = Annotated[int, PathParameter(ge=1, le=INT32_MAX, description="The rule's id.")]


def invalid_rule(field: str, message: str) -> ValidationException:
    return ValidationException(detail=f"{field}: {message}", extra=[{"key": field, "message": message}])


def rule_from(data: AlertRuleIn) -> RuleSpec:
    """The checked rule, or a 400 naming the field."""
    try:
        return check_rule(data.name, data.metric, data.target, data.period, data.condition, data.value,
                          data.enabled)
    except RuleError as exc:
        raise invalid_rule(exc.field, exc.message) from exc


class AlertController(Controller):
    path = "/api/v1/alerts"
    tags = ["alerts"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="ListAlertRules", cache=False, operation_class=documented(400, 401, 403, 503))
    async def list(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> builtins.list[
            AlertRuleOut]:
        """Every alert rule of the app, with where it stands (in breach or not, the last value judged)."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await list_rules(session, app_id)

    @post("/", operation_id="CreateAlertRule", status_code=HTTP_201_CREATED,
          operation_class=documented(400, 401, 403, 413, 503))
    async def create(self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
                     data: JSONBody[AlertRuleIn]) -> AlertRuleOut:
        """Create a rule; it is judged at the next evaluation (every ``WAYMARK_ALERTS_INTERVAL_SECONDS``)."""
        spec = rule_from(data)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                made = await save_rule(session, app_id, spec)
            except TooManyRules as exc:
                raise invalid_rule("rule", str(exc)) from exc
            await session.commit()
        return made

    @get("/firings", operation_id="ListAlertFirings", cache=False, operation_class=documented(400, 401, 403, 503))
    async def firings(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="How many, newest first.")] = 100,
    ) -> builtins.list[AlertFiringOut]:
        """The app's firings, newest first: one per breach, for the period it was seen in."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await firings(session, app_id, limit)

    @get("/{rule_id:int}", operation_id="GetAlertRule", cache=False,
         operation_class=documented(400, 401, 403, 404, 503))
    async def get(self, request: Request[Any, Any, Any], app_id: NamedDependency[str], rule_id: RuleId
                  ) -> AlertRuleOut:
        """One rule."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                return await get_rule(session, app_id, rule_id)
            except NoSuchRule as exc:
                raise NotFoundException(str(exc)) from exc

    @put("/{rule_id:int}", operation_id="ReplaceAlertRule", operation_class=documented(400, 401, 403, 404, 413, 503))
    async def replace(self, request: Request[Any, Any, Any], app_id: NamedDependency[str], rule_id: RuleId,
                      data: JSONBody[AlertRuleIn]) -> AlertRuleOut:
        """Replace a rule. Changing what it watches or its condition starts it afresh (not in breach)."""
        spec = rule_from(data)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                saved = await save_rule(session, app_id, spec, rule_id)
            except NoSuchRule as exc:
                raise NotFoundException(str(exc)) from exc
            await session.commit()
        return saved

    @delete("/{rule_id:int}", operation_id="DeleteAlertRule", status_code=HTTP_204_NO_CONTENT,
            operation_class=documented(400, 401, 403, 404, 503))
    async def remove(self, request: Request[Any, Any, Any], app_id: NamedDependency[str], rule_id: RuleId
                     ) -> None:
        """Delete a rule and its firings."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                await delete_rule(session, app_id, rule_id)
            except NoSuchRule as exc:
                raise NotFoundException(str(exc)) from exc
            await session.commit()


class WebhookDeliveryController(Controller):
    path = "/api/v1/webhooks"
    tags = ["alerts"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/deliveries", operation_id="ListWebhookDeliveries", cache=False,
         operation_class=documented(400, 401, 403, 503))
    async def deliveries(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="How many attempts, newest first.")] = 100,
    ) -> list[DeliveryAttempt]:
        """Every delivery attempt of the app's webhooks, newest first: status code or error, duration, when."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await delivery_log(session, app_id, limit)
