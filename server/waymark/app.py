"""The one place the Litestar application is built."""

from __future__ import annotations

import atexit
import gc
import logging
from collections.abc import Sequence
from typing import Any, Literal

import msgspec
from litestar import Litestar, MediaType, Request, Response, Router, get
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ControllerRouterHandler
from sqlalchemy import text

from waymark.access.setup import AccessSetup
from waymark.admin.assets import AdminAssets
from waymark.admin.csp import with_admin_headers
from waymark.admin.routes import admin_router
from waymark.admin.templating import template_config
from waymark.alerts.controllers import AlertController, WebhookDeliveryController
from waymark.alerts.job import PeriodicAlerts
from waymark.analytics.controllers import FeatureController, PageController, ReportController
from waymark.analytics.refresher import PeriodicSummaries
from waymark.apps.services import KeyResolver
from waymark.behaviour.cohort_api import CohortController
from waymark.behaviour.cohort_refresh import PeriodicCohorts
from waymark.behaviour.controllers import BehaviourReportController
from waymark.behaviour.milestone_api import MilestoneController
from waymark.behaviour.milestone_job import PeriodicMilestones
from waymark.behaviour.path_days import PeriodicPathDays
from waymark.behaviour.signal_impact_api import SignalImpactController
from waymark.behaviour.trends_retention_api import TrendsRetentionController
from waymark.cors import public_cors
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.outage import RETRY_AFTER_SECONDS, OutageLog, is_unavailable
from waymark.delivery.controllers import deliver
from waymark.delivery.explain_controller import ExplainController
from waymark.delivery.openapi import document_on_first_look
from waymark.delivery.snapshot import SnapshotStore
from waymark.delivery.state_reader import make_state_reader
from waymark.events.controllers import EventController
from waymark.events.export import ExportController
from waymark.events.group_commit import GroupCommitter
from waymark.guides.controllers import GuideController
from waymark.holdouts.controllers import LiftController
from waymark.holdouts.services import HoldoutRecorder
from waymark.identity.controllers import IdentityController
from waymark.lexicon.controllers import LexiconController
from waymark.openapi_docs import documented, openapi_config, retry_later
from waymark.peers.controllers import BenchmarkController
from waymark.peers.services import BenchmarkService
from waymark.policies.controllers import PolicyController, PolicyDecisionController, PolicyReportController
from waymark.privacy.controllers import PrivacyController
from waymark.privacy.retention import PeriodicPurge
from waymark.ratelimit import RateLimiter, redis_store
from waymark.request_guard import refuse_control_characters
from waymark.segment.controllers import SegmentController
from waymark.settings import Settings, get_settings
from waymark.surveys.controllers import SurveyReportController
from waymark.widget_assets import WidgetAssets, widget_routes
from waymark.wiring import publish_hooks, registered_projections

__all__ = ["create_app"]

# Collect cyclic garbage at exit while every extension module is still loaded. Left to the last
# collection of interpreter teardown, cycles that hold objects of an already-finalised extension
# crashed the process (a segfault after a clean test run, every time, in a process that had built
# several apps); a collection from atexit runs before any module is torn down.
atexit.register(gc.collect)

log = logging.getLogger("waymark")
_outages = OutageLog(log)


class Health(msgspec.Struct):
    status: Literal["ok", "degraded", "unavailable"]
    """``degraded``: an optional service (Redis) is down and the server works without it."""
    database: Literal["ok", "unavailable"]
    redis: Literal["ok", "degraded", "not configured"]


@get("/health", operation_id="Health", tags=["ops"], cache=False, operation_class=documented(
    400, answers={503: retry_later("Health", "The database does not answer (Redis down only degrades).")}))
async def health(request: Request[Any, Any, Any]) -> Response[Health]:
    """Readiness: 200 while the database answers (Redis down only degrades), 503 with Retry-After otherwise."""
    limiter: RateLimiter = request.app.state.rate_limiter
    redis: Literal["ok", "degraded", "not configured"] = (
        ("ok" if await limiter.ping() else "degraded") if limiter.shared else "not configured"
    )
    try:
        async with request.app.state.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        _outages.warn("the database is unreachable", exc)
        return Response(Health(status="unavailable", database="unavailable", redis=redis),
                        status_code=HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return Response(Health(status="ok" if redis != "degraded" else "degraded", database="ok", redis=redis))


@get("/livez", operation_id="Live", tags=["ops"], cache=False, operation_class=documented(400))
async def live() -> dict[str, str]:
    """Liveness only (no database): also the empty-route baseline of the benchmarks."""
    return {"status": "ok"}


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, object]]:
    body: dict[str, object] = {"status_code": exc.status_code, "detail": exc.detail}
    if isinstance(exc, ValidationException) and exc.extra:
        body["extra"] = exc.extra
    return Response(body, status_code=exc.status_code, headers=exc.headers, media_type=MediaType.JSON)


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    """Never a stack trace to a user: a database outage is a 503 to retry, anything else a logged 500."""
    if is_unavailable(exc):
        _outages.warn(f"the database is unreachable ({request.method} {request.url.path} answered 503)", exc)
        return Response(
            {"status_code": 503, "detail": "the database is unreachable for now; retry later"},
            status_code=HTTP_503_SERVICE_UNAVAILABLE, media_type=MediaType.JSON,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, RecursionError):  # only msgspec recurses on input; it stops at Python's limit
        return Response({"status_code": 400, "detail": "the request body nests too deeply"},
                        status_code=HTTP_400_BAD_REQUEST, media_type=MediaType.JSON)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        {"status_code": 500, "detail": "internal error; it has been logged"},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


def create_app(
    settings: Settings | None = None, *, extra_route_handlers: Sequence[ControllerRouterHandler] = ()
) -> Litestar:
    """The application; ``extra_route_handlers`` are mounted beside the product's own (the demo's host pages)."""
    settings = settings or get_settings()
    engine = create_engine(settings.database_url, settings.pool_size)
    sessionmaker = make_sessionmaker(engine)
    committer = GroupCommitter(sessionmaker, registered_projections())
    retention = PeriodicPurge(sessionmaker, settings.retention_interval_seconds)
    summaries = PeriodicSummaries(sessionmaker, settings.summaries_interval_seconds)
    milestones = PeriodicMilestones(sessionmaker, settings.milestones_interval_seconds)
    cohorts = PeriodicCohorts(sessionmaker, settings.cohorts_interval_seconds)
    path_days = PeriodicPathDays(sessionmaker, settings.path_days_interval_seconds)
    benchmarks = BenchmarkService(sessionmaker)
    alerts = PeriodicAlerts(sessionmaker, settings.alerts_interval_seconds)
    access = AccessSetup(settings, sessionmaker)

    async def _dispose() -> None:
        await engine.dispose()

    app = Litestar(
        route_handlers=[
            health,
            live,
            # Public: what the widget and SDKs call from other origins (CORS * here and nowhere else).
            Router(path="/", middleware=[public_cors], route_handlers=[
                deliver,
                EventController,
                PolicyDecisionController,
                SegmentController,
                *widget_routes(),
            ]),
            # Private: the secret-key API. No CORS: no other origin may read its answers.
            Router(path="/", route_handlers=[
                ExportController,
                GuideController,
                ExplainController,
                LiftController,
                IdentityController,
                PrivacyController,
                PolicyController,
                PolicyReportController,
                PageController,
                FeatureController,
                ReportController,
                BehaviourReportController,
                SurveyReportController,
                SignalImpactController,
                BenchmarkController,
                LexiconController,
                TrendsRetentionController,
                MilestoneController,
                AlertController,
                WebhookDeliveryController,
                CohortController,
                *access.api_route_handlers,
            ]),
            # Private: the admin, signed in by cookie, so CSRF-checked (on these routes only: delivery stays bare).
            Router(path="/", middleware=[DefineMiddleware(CSRFMiddleware, config=access.csrf)], route_handlers=[
                admin_router(),
                *access.route_handlers,
            ], exception_handlers=access.admin_exception_handlers),
            *extra_route_handlers,
        ],
        openapi_config=openapi_config(),
        template_config=template_config(),
        dependencies=access.dependencies,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected_error, **access.exception_handlers},
        on_startup=[access.start, retention.start, summaries.start, milestones.start, alerts.start, cohorts.start,
                    path_days.start],
        on_shutdown=[retention.stop, summaries.stop, milestones.stop, alerts.stop, cohorts.stop, path_days.stop,
                     benchmarks.stop, committer.stop, _dispose],
        before_request=document_on_first_look,
        debug=settings.debug,
    )
    # The URL guard wraps the whole application once, outside Litestar's per-route middleware stack,
    # which would add a layer to every route (delivery's hot path included) for two regex scans.
    app.asgi_handler = refuse_control_characters(with_admin_headers(app.asgi_handler))
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker
    app.state.retention = retention
    app.state.summaries = summaries
    app.state.alerts = alerts
    app.state.cohorts = cohorts
    app.state.benchmarks = benchmarks
    app.state.key_resolver = KeyResolver(sessionmaker)
    app.state.sessions = access.sessions
    app.state.snapshots = SnapshotStore(sessionmaker, settings.snapshot_check_seconds)
    app.state.profiles = app.state.snapshots  # the runtime settings ingestion reads, kept fresh with the guides
    app.state.holdouts = HoldoutRecorder(sessionmaker)
    app.state.state_reader = make_state_reader(settings.database_url, engine)
    app.state.group_committer = committer
    app.state.publish_hooks = publish_hooks()
    app.state.rate_limiter = RateLimiter(
        settings.rate_limit_per_minute,
        redis_store(settings.redis_url) if settings.redis_url else None,
    )
    app.state.widget = WidgetAssets.load()
    app.state.admin_assets = AdminAssets.load()
    return app
