"""The admin's Jinja2 engine: every template gets ``csp_nonce``, ``nav_sections()`` and ``static_url()``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from waymark.access.principal import Principal
from waymark.admin.charts import bar_rows, chart_payload
from waymark.admin.csp import nonce_of
from waymark.admin.nav import NavSection, navigation

__all__ = ["FIRING_ALERTS_KEY", "PRINCIPAL_KEY", "TEMPLATES", "principal_of", "template_config"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
PRINCIPAL_KEY = "waymark_principal"
"""Where the signed-in principal sits in ``scope["state"]`` once resolved, for the navigation."""
FIRING_ALERTS_KEY = "waymark_alerts_firing"
"""Where :mod:`waymark.admin.alert_banner` leaves how many of the page's app's alerts are firing."""


def principal_of(request: Request[Any, Any, Any]) -> Principal | None:
    found = request.scope.get("state", {}).get(PRINCIPAL_KEY)
    return found if isinstance(found, Principal) else None


class _AdminTemplate(jinja2.Template):
    """Adds the request's CSP nonce to every render, so ``<script nonce="{{ csp_nonce }}">`` works anywhere."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        context: dict[str, Any] = dict(*args, **kwargs)
        request = context.get("request")
        if request is not None and "csp_nonce" not in context:
            context["csp_nonce"] = nonce_of(request.scope)
        return super().render(context)


@jinja2.pass_context
def _nav_sections(context: Mapping[str, Any]) -> list[NavSection]:
    request: Request[Any, Any, Any] | None = context.get("request")
    if request is None:
        return []
    principal = principal_of(request)
    if principal is None:
        return []
    params = request.path_params
    app_id, tenant_id = params.get("app_id"), params.get("tenant_id")
    return navigation(principal.grants, str(app_id) if app_id else None, str(tenant_id) if tenant_id else None,
                      request.url.path)


@jinja2.pass_context
def _static_url(context: Mapping[str, Any], name: str) -> str:
    request: Request[Any, Any, Any] | None = context.get("request")
    if request is None:
        return f"/admin/static/{name}"
    return str(request.app.state.admin_assets.url(name))


@jinja2.pass_context
def _signed_in(context: Mapping[str, Any]) -> Principal | None:
    request: Request[Any, Any, Any] | None = context.get("request")
    return principal_of(request) if request is not None else None


@jinja2.pass_context
def _firing_alerts(context: Mapping[str, Any]) -> int:
    """How many of the page's app's alerts are firing (0 when not counted for this page)."""
    request: Request[Any, Any, Any] | None = context.get("request")
    found = request.scope.get("state", {}).get(FIRING_ALERTS_KEY, 0) if request is not None else 0
    return found if isinstance(found, int) else 0


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.template_class = _AdminTemplate
    env.globals.update(nav_sections=_nav_sections, static_url=_static_url, signed_in=_signed_in,
                       firing_alerts=_firing_alerts,
                       chart_payload=chart_payload, bar_rows=bar_rows)
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """The app's template engine: Jinja2 over ``admin/templates`` (Litestar adds ``request`` and ``csrf_input``)."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(_environment()))
