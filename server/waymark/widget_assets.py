"""Serving the built widget: ``/widget.js`` always current, ``/widget/waymark.<hash>.js`` cached forever."""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request, Response, route
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

__all__ = ["WidgetAssets", "widget_routes"]

_DEFAULT_PATH = Path(__file__).resolve().parents[2] / "widget" / "dist" / "waymark.js"
_JS = "application/javascript; charset=utf-8"


@dataclass(frozen=True, slots=True)
class WidgetAssets:
    body: bytes
    gzipped: bytes
    """Compressed once at start-up: the bundle is served to every page view of every host app."""
    digest: str
    """First 12 hex characters of the bundle's SHA-256: its immutable URL."""

    @classmethod
    def load(cls) -> WidgetAssets:
        path = Path(os.environ.get("WAYMARK_WIDGET_PATH", _DEFAULT_PATH))
        body = path.read_bytes() if path.exists() else b""
        return cls(body=body, gzipped=gzip.compress(body, 9), digest=hashlib.sha256(body).hexdigest()[:12])

    @property
    def hashed_path(self) -> str:
        return f"/widget/waymark.{self.digest}.js"


def _send(request: Request[Any, Any, Any], assets: WidgetAssets, headers: dict[str, str]) -> Response[bytes]:
    headers = {**headers, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(assets.gzipped, media_type=_JS, headers={**headers, "Content-Encoding": "gzip"})
    return Response(assets.body, media_type=_JS, headers=headers)


def _assets(request: Request[Any, Any, Any]) -> WidgetAssets:
    assets: WidgetAssets = request.app.state.widget
    if not assets.body:
        raise NotFoundException("the widget is not built: run `make widget`")
    return assets


# HEAD as well: uptime checks and CDNs ask it before fetching.
@route("/widget.js", http_method=["GET", "HEAD"], include_in_schema=False)
async def widget_current(request: Request[Any, Any, Any]) -> Response[bytes]:
    assets = _assets(request)
    etag = f'"{assets.digest}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300, must-revalidate"}
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    return _send(request, assets, headers)


@route("/widget/{file:str}", http_method=["GET", "HEAD"], include_in_schema=False)
async def widget_hashed(request: Request[Any, Any, Any], file: FromPath[str]) -> Response[bytes]:
    assets = _assets(request)
    if f"/widget/{file}" != assets.hashed_path:
        raise NotFoundException(f"no widget build {file}; the current one is {assets.hashed_path}")
    return _send(request, assets, {"Cache-Control": "public, max-age=31536000, immutable"})


def widget_routes() -> list[HTTPRouteHandler]:
    return [widget_current, widget_hashed]
