"""Serving the built widget: ``/widget.js`` always current, ``/widget/waymark.<hash>.js`` cached forever, and the
survey and policy chunk the widget loads only when it needs it (``/widget/waymark-feedback.<hash>.js``, the name
the core was built with; ``/widget-feedback.js`` is the current one)."""

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
    name: str = "waymark"
    chunk: WidgetAssets | None = None
    """The survey and policy chunk (``waymark-feedback.js`` beside the core bundle), when built."""

    @classmethod
    def load(cls) -> WidgetAssets:
        path = Path(os.environ.get("WAYMARK_WIDGET_PATH", _DEFAULT_PATH))
        chunk = cls.read(path.with_name("waymark-feedback.js"), "waymark-feedback")
        return cls.read(path, "waymark", chunk if chunk.body else None)

    @classmethod
    def read(cls, path: Path, name: str, chunk: WidgetAssets | None = None) -> WidgetAssets:
        body = path.read_bytes() if path.exists() else b""
        return cls(body=body, gzipped=gzip.compress(body, 9), digest=hashlib.sha256(body).hexdigest()[:12],
                   name=name, chunk=chunk)

    @property
    def hashed_path(self) -> str:
        return f"/widget/{self.name}.{self.digest}.js"


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


@route("/widget-feedback.js", http_method=["GET", "HEAD"], include_in_schema=False)
async def feedback_current(request: Request[Any, Any, Any]) -> Response[bytes]:
    chunk = _assets(request).chunk
    if chunk is None:
        raise NotFoundException("the widget's survey and policy chunk is not built: run `make widget`")
    return _send(request, chunk, {"ETag": f'"{chunk.digest}"', "Cache-Control": "public, max-age=300, must-revalidate"})


@route("/widget/{file:str}", http_method=["GET", "HEAD"], include_in_schema=False)
async def widget_hashed(request: Request[Any, Any, Any], file: FromPath[str]) -> Response[bytes]:
    assets = _assets(request)
    found = next((a for a in (assets, assets.chunk) if a is not None and f"/widget/{file}" == a.hashed_path), None)
    if found is None:
        raise NotFoundException(f"no widget build {file}; the current one is {assets.hashed_path}")
    return _send(request, found, {"Cache-Control": "public, max-age=31536000, immutable"})


def widget_routes() -> list[HTTPRouteHandler]:
    return [widget_current, feedback_current, widget_hashed]
