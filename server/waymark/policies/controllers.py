"""REST for policies: the widget's decision endpoint (public key) and, with the secret key, management,
decisions recorded by the host app's server, status, evidence export, chain verification and the report."""

from __future__ import annotations

import builtins
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Reference, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT
from litestar.types import BeforeRequestHookHandler

from waymark.apps.auth import public_app_id, secret_app_id
from waymark.db.scope import app_session
from waymark.events.controllers import read_limited_body
from waymark.guides.controllers import PushRejected
from waymark.identity.verify import IdentityRefused, verify_identity
from waymark.openapi_docs import PUBLIC_KEY, SECRET_KEY, documented, json_schema
from waymark.policies.decisions import (
    DecisionRefused,
    app_rules,
    check_decision,
    copy_to_analytics,
    record_decision,
)
from waymark.policies.ledger import NewDecision, verify_app_chain
from waymark.policies.managed import publish_policy
from waymark.policies.publishing import PolicyConflict
from waymark.policies.report import policy_report, report_csv
from waymark.policies.schemas import (
    ApiDecision,
    BrokenRecord,
    DecisionAck,
    EvidenceRecord,
    PolicyIn,
    PolicyReport,
    PolicyStatus,
    PolicySummary,
    VerifyResult,
    WidgetDecision,
)
from waymark.policies.services import NoSuchPolicy, evidence_csv, list_evidence, list_policies, policy_status
from waymark.ratelimit import enforce_rate_limit
from waymark.wire import LINE_PATTERN, day_problem, explain

__all__ = ["PolicyController", "PolicyDecisionController", "PolicyReportController"]

_decision_decoder = msgspec.json.Decoder(WidgetDecision)
_MAX_DECISION_BYTES = 16 * 1024
_Visitor = Annotated[str, QueryParameter(min_length=1, max_length=200, pattern=LINE_PATTERN,
                                         description="The visitor's id.")]
_Tenant = Annotated[str | None, QueryParameter(max_length=200, pattern=LINE_PATTERN,
                                               description="The visitor's tenant.")]
_CSV = {"text/csv": Schema(type=OpenAPIType.STRING)}


def _refused(exc: NoSuchPolicy | DecisionRefused) -> NotFoundException | ClientException:
    if isinstance(exc, NoSuchPolicy):
        return NotFoundException(str(exc))
    return ClientException(str(exc), status_code=HTTP_409_CONFLICT)


# Inline (the handler reads the raw body, so Litestar never registers the type as a component).
_DECISION_SCHEMA = json_schema(msgspec.json.schema_components([WidgetDecision])[1]["WidgetDecision"])
_DECISION_BODY = RequestBody(
    required=True,
    description="The visitor's decision. The widget sends it as `text/plain` (no CORS preflight), read the same way.",
    content={
        "application/json": OpenAPIMediaType(schema=_DECISION_SCHEMA),
        "text/plain": OpenAPIMediaType(schema=Schema(
            type=OpenAPIType.STRING, content_media_type="application/json", content_schema=_DECISION_SCHEMA)),
    },
)
_CONFLICT_ANSWER = OpenAPIResponse(
    description="The decision does not fit the published version: Decline not offered, another tenant's policy, "
                "a locale it has no text in, or a text hash that is not that version's text. Nothing was recorded.",
    content={"application/json": OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Error"))},
)


class PolicyDecisionController(Controller):
    path = "/api/v1/policy-decisions"
    tags = ["policies"]
    dependencies = {"app_id": Provide(public_app_id)}
    security = PUBLIC_KEY
    before_request: BeforeRequestHookHandler | None = enforce_rate_limit(
        lambda request: request.query_params.get("key")
    )

    @post("/", operation_id="RecordPolicyDecision", status_code=HTTP_200_OK,
          operation_class=documented(400, 401, 403, 404, 413, 429, 503, body=_DECISION_BODY,
                                     answers={409: _CONFLICT_ANSWER}))
    async def decide(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> DecisionAck:
        """Record a visitor's decision in the prompt; answered only once the evidence is committed.

        Retrying with the same `id` records nothing twice (`recorded: false`, the first record).
        Shown to, and recorded for, visitors who opted out of analytics: consent is not analytics.
        """
        body = await read_limited_body(request, _MAX_DECISION_BYTES)
        try:
            data = _decision_decoder.decode(body)
        except msgspec.DecodeError as exc:
            raise ClientException(f"body is not a policy decision: {explain(str(exc))}") from exc
        sessionmaker = request.app.state.sessionmaker
        async with app_session(sessionmaker, app_id) as session:
            profile = await app_rules(session, app_id)
            if profile.require_identity:
                try:
                    verify_identity(data.identity, profile.identity_secrets, data.visitor, data.tenant)
                except IdentityRefused as exc:
                    raise PermissionDeniedException(str(exc)) from exc
            try:
                locale, text_hash = await check_decision(session, app_id, data.policy, data.version, data.locale,
                                                         data.decision, data.text_hash, data.tenant)
            except (NoSuchPolicy, DecisionRefused) as exc:
                raise _refused(exc) from exc
        ack = await record_decision(sessionmaker, app_id, NewDecision(
            request_id=data.id, tenant=data.tenant, visitor=data.visitor, policy=data.policy, version=data.version,
            locale=locale, text_hash=text_hash, decision=data.decision, method="widget",
            user_agent=request.headers.get("user-agent"),
        ))
        if data.analytics and not (profile.honor_dnt and request.headers.get("dnt") == "1"):
            await copy_to_analytics(request.app.state, app_id, ack, request.headers.get("referer"))
        return ack


class PolicyController(Controller):
    path = "/api/v1/policies"
    tags = ["policies"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="ListPolicies", cache=False, operation_class=documented(400, 401, 403, 503))
    async def list(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> builtins.list[
            PolicySummary]:
        """Every policy of the app with its versions and the one its published prompt shows."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            return await list_policies(session, app_id)

    @put("/{policy_id:str}", operation_id="PutPolicy", status_code=HTTP_200_OK,
         responses={422: ResponseSpec(PushRejected, description="The policy has problems, or would change a "
                                                                "published version: nothing was published.")},
         operation_class=documented(400, 401, 403, 413, 503))
    async def put_policy(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], policy_id: FromPath[str],
        data: JSONBody[PolicyIn],
    ) -> Response[PolicySummary | PushRejected]:
        """Publish a policy and its prompt without a file (the same checks as a push of a policy file).

        Changing the text of a published version without a new version number is refused (422).
        """
        try:
            await publish_policy(request.app.state.sessionmaker, app_id, policy_id, data,
                                 request.app.state.publish_hooks)
        except PolicyConflict as exc:
            return Response(PushRejected(status_code=422, detail=f"policy {policy_id!r}: nothing was published",
                                         errors=exc.problems), status_code=422)
        request.app.state.snapshots.invalidate(app_id)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            found = next(p for p in await list_policies(session, app_id) if p.id == policy_id)
        return Response(found)

    @post("/{policy_id:str}/decisions", operation_id="RecordPolicyDecisionFromServer", status_code=HTTP_200_OK,
          operation_class=documented(400, 401, 403, 404, 413, 503, answers={409: _CONFLICT_ANSWER}))
    async def record(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], policy_id: FromPath[str],
        data: JSONBody[ApiDecision],
    ) -> DecisionAck:
        """Record a decision the host app took itself (method `api`), a withdrawal above all.

        A withdrawal is a new record; the visitor is asked again by the prompt. 409 when the decision
        does not fit the version (Decline not offered, another tenant's policy, unknown locale).
        """
        sessionmaker = request.app.state.sessionmaker
        async with app_session(sessionmaker, app_id) as session:
            try:
                locale, text_hash = await check_decision(session, app_id, policy_id, data.version, data.locale,
                                                         data.decision, None, data.tenant)
            except (NoSuchPolicy, DecisionRefused) as exc:
                raise _refused(exc) from exc
        ack = await record_decision(sessionmaker, app_id, NewDecision(
            request_id=data.id, tenant=data.tenant, visitor=data.visitor, policy=policy_id, version=data.version,
            locale=locale, text_hash=text_hash, decision=data.decision, method="api",
            user_agent=request.headers.get("user-agent"),
        ))
        await copy_to_analytics(request.app.state, app_id, ack, None)
        return ack

    @get("/verify", operation_id="VerifyPolicyEvidence", cache=False, operation_class=documented(400, 401, 403, 503))
    async def verify(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> VerifyResult:
        """Recheck the app's evidence chain: every record's hash, its link to the one before, and the chain head."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            count, broken = await verify_app_chain(session, app_id)
        return VerifyResult(intact=broken is None, records=count, first_broken=None if broken is None else
                            BrokenRecord(id=broken.id, seq=broken.seq, reason=broken.reason))

    @get("/{policy_id:str}/status", operation_id="PolicyStatus", cache=False,
         operation_class=documented(400, 401, 403, 404, 503))
    async def status(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], policy_id: FromPath[str],
        visitor: _Visitor, tenant: _Tenant = None,
    ) -> PolicyStatus:
        """Has this visitor accepted the current version? For the host app's server to enforce the policy."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                return await policy_status(session, app_id, policy_id, visitor, tenant)
            except NoSuchPolicy as exc:
                raise NotFoundException(str(exc)) from exc

    @get("/{policy_id:str}/evidence", operation_id="PolicyEvidence", cache=False, operation_class=documented(
        400, 401, 403, 404, 503, media={"application/json": Schema(
            type=OpenAPIType.ARRAY, items=Reference(ref="#/components/schemas/EvidenceRecord")), **_CSV}))
    async def evidence(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], policy_id: FromPath[str],
        version: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1, description="Only this version.")] = None,
        tenant: _Tenant = None,
        format: Annotated[Literal["json", "csv"], QueryParameter(description="json or csv.")] = "json",
    ) -> Response[builtins.list[EvidenceRecord] | str]:
        """The evidence of one policy, in chain order, with the hashes to recheck it."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                records = await list_evidence(session, app_id, policy_id, version, tenant)
            except NoSuchPolicy as exc:
                raise NotFoundException(str(exc)) from exc
        if format == "csv":
            name = re.sub(r"[^A-Za-z0-9._-]", "_", f"evidence-{policy_id}-{version or 'all'}.csv")
            return Response(evidence_csv(records), media_type="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return Response(records)


class PolicyReportController(Controller):
    path = "/api/v1/reports/policies"
    tags = ["reports"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="PolicyReport", cache=False, operation_class=documented(
        400, 401, 403, 503, media={"application/json": Reference(ref="#/components/schemas/PolicyReport"), **_CSV}))
    async def report(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
        policy: Annotated[str | None, QueryParameter(max_length=64, pattern=LINE_PATTERN,
                                                     description="Only this policy.")] = None,
        tenant: _Tenant = None,
        end: Annotated[date | None, QueryParameter(name="to", description="Last UTC day of the coverage series "
                                                                          "(default: today).")] = None,
        format: Annotated[Literal["json", "csv"], QueryParameter(description="json or csv.")] = "json",
    ) -> Response[PolicyReport | str]:
        """Per policy version and tenant: accepted, declined, withdrawn, pending (active since the version was
        published, undecided), and coverage per day since publication."""
        problem = day_problem(end) if end else None
        if problem:
            raise ValidationException(detail=f"to: {problem}", extra=[{"key": "to", "message": problem}])
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            found = await policy_report(session, app_id, policy, tenant, end or datetime.now(UTC).date())
        if format == "csv":
            return Response(report_csv(found), media_type="text/csv",
                            headers={"Content-Disposition": 'attachment; filename="policies.csv"'})
        return Response(found)
