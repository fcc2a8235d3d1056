"""The benchmark pages: every peer group's distribution for the product team, one tenant's position for its admins.

Both read the benchmark service's stored snapshot (fixed period, fixed peer groups): the report
filters' date range and segment do not apply, since two views over chosen ranges or segments could
be subtracted to isolate one tenant's figure.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, QueryParameter
from litestar.response import Redirect

from waymark.access.deps import audit, requires
from waymark.access.principal import Action, Principal
from waymark.admin.benchmark_charts import MAX_DOTS, position_bar, strips
from waymark.admin.render import page, report_page
from waymark.db.scope import Scope, app_session
from waymark.peers.anonymity import MAX_K, MIN_K
from waymark.peers.definitions import METRICS, PERIOD_DAYS, info
from waymark.peers.groups import PEER_GROUPS, SIZE_BANDS, PeerGroup
from waymark.peers.schemas import Benchmark, Distribution
from waymark.peers.services import BenchmarkService, KProblem, UnknownTenant, set_k

__all__ = ["AppBenchmarks", "BenchmarkPages", "TenantBenchmarks"]

_Group = Annotated[PeerGroup, QueryParameter(description="Peers: the whole app, or by industry, plan or size band.")]
_Scope = NamedDependency[Scope]
_GROUP_LABELS = {"all": "All tenants", "industry": "Industry", "plan": "Plan", "size": "Size band"}
_POSITIONS = {
    "below_p25": "below the 25th percentile", "at_p25": "at the 25th percentile",
    "p25_p50": "between the 25th and 50th percentiles", "at_p50": "at the median",
    "p50_p75": "between the 50th and 75th percentiles", "at_p75": "at the 75th percentile",
    "p75_p90": "between the 75th and 90th percentiles", "at_p90": "at the 90th percentile",
    "above_p90": "above the 90th percentile", "above_p75": "above the 75th percentile",
}


class AppBenchmarks(msgspec.Struct, kw_only=True):
    """The product team's view: every group's percentiles and values, per metric, for one kind of peer group."""

    peer_group: PeerGroup
    k: int
    period_start: date
    period_end: date
    computed_at: datetime
    groups: list[Distribution]


class TenantBenchmarks(msgspec.Struct, kw_only=True):
    """One tenant's benchmarks (a tenant admin's have no peer percentiles)."""

    tenant: str
    peer_group: PeerGroup
    benchmarks: list[Benchmark]


def _service(request: Request[Any, Any, Any]) -> BenchmarkService:
    service: BenchmarkService = request.app.state.benchmarks
    return service


def _metric_context() -> dict[str, Any]:
    return {"metrics": [(m, info(m)) for m in METRICS], "peer_groups": [(g, _GROUP_LABELS[g]) for g in PEER_GROUPS],
            "size_bands": [label for _, label in SIZE_BANDS] + ["5001+"], "period_days": PERIOD_DAYS,
            "min_k": MIN_K, "max_k": MAX_K, "positions": _POSITIONS, "max_dots": MAX_DOTS}


def _app_rows(data: AppBenchmarks) -> list[list[Any]]:
    rows: list[list[Any]] = [["metric", "peer_group", "group", "available", "peers", "p25", "p50", "p75", "p90",
                              "values", "reason"]]
    rows += [[d.metric, d.peer_group, d.group, d.available, d.peers, d.p25, d.p50, d.p75, d.p90,
              " ".join(f"{v:g}" for v in d.values), d.reason] for d in data.groups]
    return rows


def _tenant_rows(data: TenantBenchmarks) -> list[list[Any]]:
    rows: list[list[Any]] = [["metric", "peer_group", "group", "available", "peers", "value", "percentile",
                              "position", "p25", "p50", "p75", "p90", "reason"]]
    rows += [[b.metric, b.peer_group, b.group, b.available, b.peers, b.value, b.percentile, b.position, b.p25,
              b.p50, b.p75, b.p90, b.reason] for b in data.benchmarks]
    return rows


class BenchmarkPages(Controller):
    """``/benchmarks`` (READ_APP: the product team) and ``/tenants/{tenant_id}/benchmarks`` (READ_TENANT)."""

    path = "/admin/apps/{app_id:str}"
    include_in_schema = False

    async def _app_page(self, request: Request[Any, Any, Any], scope: Scope, principal: Principal | None,
                        peer_group: PeerGroup, error: str | None = None, status: int = 200) -> Response[Any]:
        snapshot, groups = await _service(request).distributions(scope, peer_group)
        data = AppBenchmarks(peer_group=peer_group, k=snapshot.k, period_start=snapshot.period_start,
                             period_end=snapshot.period_end, computed_at=snapshot.computed_at, groups=groups)
        charts = []
        for metric, about in _metric_context()["metrics"]:
            of_metric = [d for d in groups if d.metric == metric]
            axis, rows = strips(of_metric, about.unit)
            charts.append({"metric": metric, "info": about, "axis": axis, "strips": rows, "groups": of_metric})
        manage = principal is not None and principal.allows(Action.MANAGE, scope.app_id)
        context = {"scope": scope, "charts": charts, "can_manage": manage, "error": error,
                   "notice": "Saved." if request.query_params.get("saved") else None, **_metric_context()}
        if status != 200:
            return page(request, "benchmarks/app.html", {**context, "data": data, "exports": None}, status_code=status)
        return report_page(request, template="benchmarks/app.html", data=data, csv_rows=_app_rows(data),
                           filename=f"benchmarks-{peer_group}-{data.period_end}", context=context)

    @get("/benchmarks", guards=[requires(Action.READ_APP)], name="admin-benchmarks")
    async def app_benchmarks(self, request: Request[Any, Any, Any], access_scope: _Scope,
                             principal: NamedDependency[Principal | None], peer_group: _Group = "industry",
                             ) -> Response[Any]:
        """Every peer group's distribution of each metric: dots, p25-p75 box, median and p90; small groups hidden."""
        return await self._app_page(request, access_scope, principal, peer_group)

    @post("/benchmarks/settings", guards=[requires(Action.MANAGE)], name="admin-benchmark-settings",
          opt={"action": Action.MANAGE}, status_code=303)
    async def save_k(self, request: Request[Any, Any, Any], access_scope: _Scope,
                     principal: NamedDependency[Principal | None],
                     data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
                     ) -> Response[Any]:
        """The app's k: the fewest tenants with a figure a peer group needs to be shown."""
        raw = str(data.get("k", "")).strip()
        try:
            k = int(raw) if raw.isdigit() and len(raw) <= 6 else -1
            async with app_session(request.app.state.sessionmaker, access_scope.app_id) as session:
                await set_k(session, access_scope.app_id, k)
                await session.commit()
        except KProblem as exc:
            return await self._app_page(request, access_scope, principal, "industry",
                                        error=f"k={raw[:20]!r}: {exc}.", status=400)
        await audit(request, "benchmarks.k", f"k={k}", access_scope.app_id)
        return Redirect(f"/admin/apps/{access_scope.app_id}/benchmarks?saved=1", status_code=303)

    @get("/tenants/{tenant_id:str}/benchmarks", guards=[requires(Action.READ_TENANT)], name="admin-tenant-benchmarks")
    async def tenant_benchmarks(self, request: Request[Any, Any, Any], access_scope: _Scope,
                                principal: NamedDependency[Principal | None], peer_group: _Group = "industry",
                                ) -> Response[Any]:
        """One tenant's position per metric. A tenant admin sees its value, percentile rank and band only;
        the product team also sees the peer group's percentiles."""
        tenant = access_scope.tenant_id or ""
        full = principal is not None and principal.allows(Action.READ_APP, access_scope.app_id)
        try:
            answers = await _service(request).tenant_benchmarks(access_scope, peer_group, quartiles=full)
        except UnknownTenant as exc:
            raise NotFoundException("not found") from exc
        data = TenantBenchmarks(tenant=tenant, peer_group=peer_group, benchmarks=answers)
        bars = [(b, info(b.metric), position_bar(b, info(b.metric).label)) for b in answers]
        return report_page(request, template="benchmarks/tenant.html", data=data, csv_rows=_tenant_rows(data),
                           filename=f"benchmarks-{tenant}-{peer_group}",
                           context={"scope": access_scope, "rows": bars, "full": full, **_metric_context()})
