"""The demo's server: the product's application with the host app's pages mounted at ``/demo/``."""

from __future__ import annotations

from litestar import Litestar

from waymark.app import create_app
from waymark.settings import Settings
from waymark_demo.controllers import DemoController, demo_static_router

__all__ = ["create_demo_app"]


def create_demo_app(settings: Settings | None = None) -> Litestar:
    """What ``waymark demo`` serves (a uvicorn factory); a plain ``waymark serve`` has no ``/demo/``."""
    return create_app(settings, extra_route_handlers=[DemoController, demo_static_router])
