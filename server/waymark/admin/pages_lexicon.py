"""``/admin/apps/{app_id}/lexicon``: the data dictionary of track events (read: the product team; edit: authors).

The page lists every track event name with its status, description, first and last seen, 30-day volume
and blocked count, each with its property names; ``?format=json|csv`` give the same at the same URL.
An author (or owner) changes an event's description and status with the form on each row.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from waymark.access.deps import audit, requires
from waymark.access.principal import Action, Principal
from waymark.admin.render import page, report_page
from waymark.clock import utcnow
from waymark.db.lexicon_models import STATUSES
from waymark.db.scope import Scope, app_session
from waymark.lexicon.schemas import LexiconView
from waymark.lexicon.services import LexiconProblem, NoSuchEvent, edit_event, lexicon_view

__all__ = ["CHART_BARS", "LexiconPage"]

CHART_BARS = 20
"""Events in the volume chart at most, the busiest first (the table beside it lists every one)."""
_Scope = NamedDependency[Scope]


def _rows(data: LexiconView) -> list[list[Any]]:
    rows: list[list[Any]] = [["event", "status", "description", "first_seen", "last_seen", "volume_30d",
                              "blocked_30d", "blocked_total", "properties"]]
    rows += [[e.name, e.status, e.description, e.first_seen, e.last_seen, e.volume_30d, e.blocked_30d,
              e.blocked_total, " ".join(p.name for p in e.properties)] for e in data.events]
    return rows


def _bars(data: LexiconView) -> list[tuple[str, int]]:
    busiest = sorted(data.events, key=lambda e: (-e.volume_30d, e.name))[:CHART_BARS]
    return [(e.name, e.volume_30d) for e in busiest if e.volume_30d > 0]


class LexiconPage(Controller):
    path = "/admin/apps/{app_id:str}/lexicon"
    include_in_schema = False

    async def _answer(self, request: Request[Any, Any, Any], scope: Scope, principal: Principal | None,
                      error: str = "", status_code: int = 200) -> Response[Any]:
        async with app_session(request.app.state.sessionmaker, scope.app_id) as session:
            data = await lexicon_view(session, scope.app_id, utcnow().date())
        context = {
            "scope": scope, "bars": _bars(data), "statuses": STATUSES, "error": error,
            "can_edit": principal is not None and principal.allows(Action.AUTHOR, scope.app_id),
        }
        saved = request.query_params.get("saved")
        if saved and not error:
            context["notice"] = f"Saved {saved[:200]}."
        if status_code != 200:
            return page(request, "lexicon/lexicon.html", {**context, "data": data, "exports": None},
                        status_code=status_code)
        return report_page(request, template="lexicon/lexicon.html", data=data, csv_rows=_rows(data),
                           filename=f"lexicon-{scope.app_id}-{data.as_of}", context=context)

    @get("/", guards=[requires(Action.READ_APP)], name="admin-lexicon")
    async def show(self, request: Request[Any, Any, Any], access_scope: _Scope,
                   principal: NamedDependency[Principal | None]) -> Response[Any]:
        """Every track event name and its properties, with the 30-day volume beside it."""
        return await self._answer(request, access_scope, principal)

    @post("/", guards=[requires(Action.AUTHOR)], name="admin-lexicon-edit", status_code=303)
    async def edit(self, request: Request[Any, Any, Any], access_scope: _Scope,
                   principal: NamedDependency[Principal | None],
                   data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
                   ) -> Response[Any]:
        """One event's description and status (fields ``name``, ``description``, ``status``)."""
        name = str(data.get("name", ""))
        status = data.get("status")
        description = data.get("description")
        app_id = access_scope.app_id
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                changed = await edit_event(session, app_id, name, description=description, status=status)
                await session.commit()
        except LexiconProblem as exc:
            return await self._answer(request, access_scope, principal, error=str(exc), status_code=400)
        except NoSuchEvent as exc:
            return await self._answer(request, access_scope, principal, error=f"name: {exc}", status_code=400)
        if changed:
            request.app.state.snapshots.invalidate(app_id)  # this worker at once; the others at their next check
        await audit(request, "lexicon.edit", f"{name} status={status} description={len(description or '')} chars",
                    app_id)
        return Redirect(f"/admin/apps/{app_id}/lexicon?saved={quote(name, safe='')}", status_code=303)
