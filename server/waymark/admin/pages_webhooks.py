"""``/admin/apps/{app_id}/webhooks`` (owners): endpoints, the signing secret (shown once, rotatable), and the
delivery log with every attempt."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, PathParameter
from litestar.response import Template

from waymark.access.deps import audit, requires
from waymark.access.principal import Action
from waymark.admin.app_context import form_of, load_app
from waymark.admin.render import page
from waymark.db.scope import app_session
from waymark.webhooks.services import (
    TooManyEndpoints,
    add_endpoint,
    delivery_log,
    list_endpoints,
    remove_endpoint,
    rotate_secret,
    secret_hint,
)
from waymark.webhooks.urls import EndpointUrlError
from waymark.wire import INT32_MAX

__all__ = ["WebhooksPage"]

_Id = Annotated[int, PathParameter(ge=1, le=INT32_MAX)]
"""An id as stored (a 32-bit integer): a larger one is a 400, never a database error."""


async def _render(request: Request[Any, Any, Any], app_id: str, *, notice: str = "", error: str = "",
                  new_secret: str = "", url: str = "", status_code: int = 200) -> Template:
    async with app_session(request.app.state.sessionmaker, app_id) as session:
        app = await load_app(session, app_id)
        endpoints = await list_endpoints(session, app_id)
        hint = await secret_hint(session, app_id)
        log = await delivery_log(session, app_id, 200)
    return page(request, "apps/webhooks.html", {
        "app": app, "endpoints": endpoints, "secret_hint": hint, "new_secret": new_secret, "log": log,
        "url": url, "url_error": error if status_code == 400 else "", "notice": notice, "error": error,
    }, status_code=status_code)


class WebhooksPage(Controller):
    path = "/admin/apps/{app_id:str}/webhooks"
    guards = [requires(Action.MANAGE)]
    include_in_schema = False

    @get("/", name="admin-webhooks")
    async def show(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        return await _render(request, app_id)

    @post("/endpoints", status_code=200)
    async def add(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        raw = (await form_of(request)).get("url", "")
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                endpoint, made = await add_endpoint(session, app_id, raw)
                await session.commit()
        except (EndpointUrlError, TooManyEndpoints) as exc:
            return await _render(request, app_id, error=str(exc), url=raw[:2000], status_code=400)
        await audit(request, "webhook.endpoint.add", endpoint.url, app_id)
        return await _render(request, app_id, new_secret=made or "", notice=f"Endpoint {endpoint.url} added.")

    @post("/endpoints/{endpoint_id:int}/delete", status_code=200)
    async def remove(self, request: Request[Any, Any, Any], app_id: FromPath[str], endpoint_id: _Id
                     ) -> Template:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            done = await remove_endpoint(session, app_id, endpoint_id)
            await session.commit()
        if not done:
            return await _render(request, app_id, error="That endpoint no longer exists.", status_code=404)
        await audit(request, "webhook.endpoint.remove", f"#{endpoint_id}", app_id)
        return await _render(request, app_id, notice="Endpoint removed, with its messages and their log.")

    @post("/secret/rotate", status_code=200)
    async def rotate(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            made = await rotate_secret(session, app_id)
            await session.commit()
        await audit(request, "webhook.secret.rotate", made[:12], app_id)
        return await _render(request, app_id, new_secret=made,
                             notice="A new signing secret replaces the old one now: update your receiver.")
