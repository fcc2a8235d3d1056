"""``GET /api/v1/guides/{id}/explain``: why a guide is (not) shown to a visitor on a page. Secret key only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter

from waymark.apps.auth import secret_app_id
from waymark.delivery.explain import Explanation, UnknownGuide, explain_guide
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.wire import LINE_PATTERN

__all__ = ["ExplainController"]


class ExplainController(Controller):
    path = "/api/v1/guides"
    tags = ["guides"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/{guide_id:str}/explain", operation_id="ExplainGuide", cache=False,
         operation_class=documented(400, 401, 403, 404, 503))
    async def explain(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        guide_id: FromPath[str],
        visitor: Annotated[str, QueryParameter(min_length=1, max_length=200, pattern=LINE_PATTERN,
                                               description="The visitor's id.")],
        url: Annotated[str, QueryParameter(min_length=1, max_length=4096, pattern=LINE_PATTERN,
                                           description="The page's full URL.")],
        tenant: Annotated[str | None, QueryParameter(max_length=200, pattern=LINE_PATTERN,
                                                     description="The tenant's id.")] = None,
        locale: Annotated[str | None, QueryParameter(max_length=35, pattern=LINE_PATTERN,
                                                     description="The visitor's locale (default: the stored one).")]
        = None,
    ) -> Explanation:
        """Delivery's checks for this guide, this visitor and this page, in order, each with pass or fail and
        a reason code; computed by the same selection as ``GET /api/v1/guides``, with the visitor's stored
        traits for segments."""
        state = request.app.state
        try:
            return await explain_guide(state.sessionmaker, state.snapshots, state.state_reader, app_id, guide_id,
                                       visitor, tenant or None, url, locale or None, datetime.now(UTC))
        except UnknownGuide as exc:
            raise NotFoundException(str(exc)) from exc
