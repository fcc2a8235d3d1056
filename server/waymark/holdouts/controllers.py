"""``GET /api/v1/guides/{id}/lift``: goal rate shown versus held out, JSON or CSV. Secret key only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException
from litestar.openapi.spec import Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, QueryParameter

from waymark.apps.auth import secret_app_id
from waymark.db.scope import app_session
from waymark.holdouts.schemas import LiftReport
from waymark.holdouts.services import LiftUnavailable, lift_csv, lift_report
from waymark.openapi_docs import SECRET_KEY, documented

__all__ = ["LiftController"]


class LiftController(Controller):
    path = "/api/v1/guides"
    tags = ["reports"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/{guide_id:str}/lift", operation_id="GuideLift", cache=False, operation_class=documented(
        400, 401, 403, 404, 503, media={"application/json": Reference(ref="#/components/schemas/LiftReport"),
                                        "text/csv": Schema(type=OpenAPIType.STRING)}))
    async def lift(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        guide_id: FromPath[str],
        format: Annotated[Literal["json", "csv"], QueryParameter(description="json or csv.")] = "json",
    ) -> Response[LiftReport | str]:
        """The guide's goal rate for visitors (or tenants) who saw it versus those held out, the difference
        with its 95% interval (two proportions) and n per arm. The guide names its goal and holdout."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                report = await lift_report(session, app_id, guide_id)
            except LiftUnavailable as exc:
                raise (NotFoundException if exc.missing else ClientException)(str(exc)) from exc
        if format == "csv":
            return Response(lift_csv(report), media_type="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="lift-{guide_id}.csv"'})
        return Response(report)
