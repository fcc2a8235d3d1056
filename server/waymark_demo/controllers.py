"""The demo host app at ``/demo/``: a small invoicing product that embeds the widget like a customer."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlalchemy import select

from waymark.db.models import App
from waymark_demo.data import INVOICES, find_invoice
from waymark_demo.reset import reset_named_visitors
from waymark_demo.seed import DEMO_PUBLIC_KEY

__all__ = ["DemoController", "demo_static_router"]

_HERE = Path(__file__).parent
_templates = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape())


def _csp(nonce: str) -> str:
    """The strict policy every demo page is served with: no inline script or style at all."""
    return (
        f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self' data: https:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


async def _render(request: Request[Any, Any, Any], template: str, **context: Any) -> Response[str]:
    nonce = secrets.token_urlsafe(16)
    async with request.app.state.sessionmaker() as session:
        app_ready = await session.scalar(select(App.id).where(App.public_key == DEMO_PUBLIC_KEY)) is not None
    html = _templates.get_template(template).render(
        nonce=nonce, public_key=DEMO_PUBLIC_KEY, widget_src=request.app.state.widget.hashed_path,
        hostile=request.query_params.get("hostile") == "1", app_ready=app_ready, **context,
    )
    return Response(html, media_type="text/html", headers={"Content-Security-Policy": _csp(nonce)})


class DemoController(Controller):
    path = "/demo"
    include_in_schema = False

    @get("/")
    async def index(self) -> Redirect:
        return Redirect("/demo/invoices")

    @get("/invoices")
    async def invoices(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await _render(request, "invoices.html", page="invoices", invoices=INVOICES)

    @get("/invoices/{number:str}")
    async def invoice(self, request: Request[Any, Any, Any], number: FromPath[str]) -> Response[str]:
        inv = find_invoice(number)
        if inv is None:
            raise NotFoundException(f"no invoice {number}")
        return await _render(request, "invoice.html", page="invoices", inv=inv)

    @get("/settings")
    async def settings(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await _render(request, "settings.html", page="settings", tab="general")

    @post("/reset-visitors", status_code=HTTP_303_SEE_OTHER)
    async def reset_visitors(self, request: Request[Any, Any, Any]) -> Redirect:
        """The page's "Reset demo visitors" button: the server forgets them, the page forgets them too."""
        async with request.app.state.sessionmaker() as session:
            await reset_named_visitors(session)
        return Redirect("/demo/invoices?reset=1", status_code=HTTP_303_SEE_OTHER)

    @get("/settings/team")
    async def settings_team(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await _render(request, "settings.html", page="settings", tab="team")


demo_static_router = create_static_files_router(
    path="/demo/static", directories=[_HERE / "static"], include_in_schema=False,
    cache_control=None,
)
