"""``/api/v1/lexicon``: the app's data dictionary, read and edited with the secret key."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from waymark.apps.auth import secret_app_id
from waymark.clock import utcnow
from waymark.db.scope import app_session
from waymark.lexicon.schemas import LexiconEdit, LexiconEntry, LexiconView
from waymark.lexicon.services import LexiconProblem, NoSuchEvent, edit_event, lexicon_view
from waymark.openapi_docs import SECRET_KEY, documented

__all__ = ["LexiconController", "invalid"]

_Status = Annotated[str | None, QueryParameter(
    max_length=40, description="Only the events of this status: `visible` (what pickers offer), `hidden` or "
                               "`blocked`.")]


def invalid(exc: LexiconProblem) -> ValidationException:
    """A 400 whose body names the field."""
    return ValidationException(detail=str(exc), extra=[{"key": exc.field, "message": exc.message}])


class LexiconController(Controller):
    path = "/api/v1/lexicon"
    tags = ["lexicon"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/events", operation_id="ListLexiconEvents", cache=False, operation_class=documented(400, 401, 403, 503))
    async def events(self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
                     status: _Status = None) -> LexiconView:
        """Every track event name seen, with its property names, first and last seen, 30-day volume, blocked
        counts, status and description. ``?status=visible`` is the list pickers offer."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            try:
                return await lexicon_view(session, app_id, utcnow().date(), status)
            except LexiconProblem as exc:
                raise invalid(exc) from exc

    @patch("/events/{name:str}", operation_id="EditLexiconEvent", status_code=HTTP_200_OK,
           operation_class=documented(400, 401, 403, 404, 413, 503))
    async def edit(self, request: Request[Any, Any, Any], app_id: NamedDependency[str], name: FromPath[str],
                   data: JSONBody[LexiconEdit]) -> LexiconEntry:
        """Change an event's description and/or status. A blocked event is dropped at ingestion from now on
        (answered in the batch's ``rejected`` with ``code: "blocked_event"``, and counted)."""
        sessionmaker = request.app.state.sessionmaker
        async with app_session(sessionmaker, app_id) as session:
            try:
                changed = await edit_event(session, app_id, name, description=data.description, status=data.status)
            except LexiconProblem as exc:
                raise invalid(exc) from exc
            except NoSuchEvent as exc:
                raise NotFoundException(str(exc)) from exc
            await session.commit()
        if changed:
            request.app.state.snapshots.invalidate(app_id)  # this worker at once; the others at their next check
        async with app_session(sessionmaker, app_id) as session:
            (entry,) = (await lexicon_view(session, app_id, utcnow().date(), name=name)).events
        return entry
