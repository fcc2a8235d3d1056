"""The notice on an app's admin pages while an alert of the app is firing (a breach not yet recovered).

Read once per admin request about an app, by a ``before_request`` hook (templates cannot await), and only for
someone who may read the app's pages: a tenant admin's pages never show it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from waymark.access.principal import Action
from waymark.admin.templating import FIRING_ALERTS_KEY, principal_of
from waymark.alerts.services import open_firings
from waymark.db.scope import app_session

__all__ = ["load_alert_banner"]


async def load_alert_banner(request: Request[Any, Any, Any]) -> None:
    """Count the app's open firings into the request's state (nothing for a tenant's pages or other callers)."""
    app_id = request.path_params.get("app_id")
    if not isinstance(app_id, str) or "tenant_id" in request.path_params:
        return
    principal = principal_of(request)
    if principal is None or not principal.allows(Action.READ_APP, app_id):
        return
    async with app_session(request.app.state.sessionmaker, app_id) as session:
        request.scope.setdefault("state", {})[FIRING_ALERTS_KEY] = await open_firings(session, app_id)
