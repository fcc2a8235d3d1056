"""The admin's script and stylesheet (built by ``widget/build.mjs``), served at content-hashed URLs forever."""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Request, Response, route
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

__all__ = ["AdminAssets", "Asset", "static_file"]

_DIST = Path(__file__).resolve().parents[3] / "widget" / "dist"
_TYPES = {"js": "application/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str
    url: str
    """``/admin/static/admin.<first 12 hex of SHA-256>.<ext>``: a new build is a new URL."""


@dataclass(frozen=True, slots=True)
class AdminAssets:
    by_name: dict[str, Asset] = field(default_factory=dict)
    """``admin.js`` / ``admin.css`` → the built file."""

    @classmethod
    def load(cls, directory: Path | None = None) -> AdminAssets:
        where = directory or Path(os.environ.get("WAYMARK_ADMIN_ASSETS", _DIST))
        found: dict[str, Asset] = {}
        for name in ("admin.js", "admin.css"):
            path = where / name
            if not path.exists():
                continue
            body = path.read_bytes()
            stem, ext = name.rsplit(".", 1)
            digest = hashlib.sha256(body).hexdigest()[:12]
            found[name] = Asset(body, gzip.compress(body, 9), _TYPES[ext], f"/admin/static/{stem}.{digest}.{ext}")
        return cls(found)

    def url(self, name: str) -> str:
        """The hashed URL of ``name``; an unbuilt file gets a URL that answers 404 naming the fix."""
        asset = self.by_name.get(name)
        return asset.url if asset is not None else f"/admin/static/{name}"

    def find(self, url: str) -> Asset | None:
        return next((a for a in self.by_name.values() if a.url == url), None)


@route("/admin/static/{file:str}", http_method=["GET", "HEAD"], include_in_schema=False, cache=False)
async def static_file(request: Request[Any, Any, Any], file: FromPath[str]) -> Response[bytes]:
    assets: AdminAssets = request.app.state.admin_assets
    asset = assets.find(f"/admin/static/{file}")
    if asset is None:
        if not assets.by_name:
            raise NotFoundException("the admin's script and styles are not built: run `make widget`")
        raise NotFoundException(f"no admin file {file}")
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(asset.gzipped, media_type=asset.media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(asset.body, media_type=asset.media_type, headers=headers)
