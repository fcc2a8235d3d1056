"""REST for benchmarks: one tenant's figure among its peers (``GET /api/v1/reports/benchmarks``). Secret key only."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter

from waymark.apps.auth import secret_app_id
from waymark.db.scope import Scope
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.peers.definitions import Metric
from waymark.peers.groups import PeerGroup
from waymark.peers.schemas import Benchmark
from waymark.peers.services import BenchmarkService, UnknownTenant

__all__ = ["BenchmarkController", "benchmark_service"]


def benchmark_service(request: Request[Any, Any, Any]) -> BenchmarkService:
    """The worker's benchmark service (made by ``create_app``)."""
    service: BenchmarkService = request.app.state.benchmarks
    return service


class BenchmarkController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"app_id": Provide(secret_app_id), "benchmarks": Provide(benchmark_service, sync_to_thread=False)}
    security = SECRET_KEY

    @get("/benchmarks", operation_id="Benchmark", cache=False, operation_class=documented(400, 401, 403, 404, 503))
    async def benchmark(
        self,
        app_id: NamedDependency[str],
        benchmarks: NamedDependency[BenchmarkService],
        tenant: Annotated[str, QueryParameter(min_length=1, max_length=200, description="The tenant to place.")],
        metric: Annotated[Metric, QueryParameter(description="The benchmarked metric.")],
        peer_group: Annotated[PeerGroup, QueryParameter(
            description="Its peers: every tenant of the app, or those that share its industry, plan or size band "
                        "(from tenant metadata).")] = "all",
    ) -> Response[Benchmark]:
        """A tenant's figure among its peer group, from the stored snapshot (30 whole UTC days ending yesterday):
        its value, percentile rank and the group's 25th, 50th, 75th and 90th percentiles (linear interpolation).
        Hidden, with the reason, when the group has fewer than k tenants with a figure (the app's setting, at
        least 5, this tenant included), or when the tenant opted out of collection. p90 is given from 11 peers."""
        try:
            [answer] = await benchmarks.tenant_benchmarks(Scope(app_id, tenant), peer_group, (metric,),
                                                          quartiles=True)
        except UnknownTenant as exc:
            raise NotFoundException(str(exc)) from exc
        return Response(answer)
