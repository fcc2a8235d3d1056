"""REST for identity verification: secrets (rotation) and the switch that requires it. Secret key only."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from waymark.apps.auth import secret_app_id
from waymark.db.models import App
from waymark.db.scope import app_session
from waymark.identity.services import (
    IdentitySettings,
    NewIdentitySecret,
    active_secrets,
    create_secret,
    revoke_secret,
    set_required,
)
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.wire import INT32_MAX

__all__ = ["IdentityController"]


class RequireIdentity(msgspec.Struct, forbid_unknown_fields=True):
    required: bool


class IdentityController(Controller):
    path = "/api/v1/identity"
    tags = ["identity"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/", operation_id="GetIdentitySettings", operation_class=documented(400, 401, 403, 503))
    async def settings(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> IdentitySettings:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            app = await session.get_one(App, app_id)
            return IdentitySettings(required=app.require_identity,
                                    active_secret_ids=[s.id for s in await active_secrets(session, app_id)])

    @put("/", operation_id="RequireIdentity", status_code=HTTP_200_OK,
         operation_class=documented(400, 401, 403, 413, 503))
    async def require(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str], data: JSONBody[RequireIdentity]
    ) -> IdentitySettings:
        """Turn verified identities on or off for the app (takes effect within the snapshot interval)."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            result = await set_required(session, app_id, data.required)
            await session.commit()
        request.app.state.snapshots.invalidate(app_id)
        return result

    @post("/secrets", operation_id="CreateIdentitySecret", status_code=HTTP_201_CREATED,
          operation_class=documented(400, 401, 403, 503))
    async def create(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> NewIdentitySecret:
        """A new signing secret, shown once; the old ones stay valid until revoked (rotation)."""
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            new = await create_secret(session, app_id)
            await session.commit()
        request.app.state.snapshots.invalidate(app_id)
        return new

    @delete("/secrets/{secret_id:int}", operation_id="RevokeIdentitySecret", status_code=HTTP_200_OK,
            operation_class=documented(400, 401, 403, 404, 503))
    async def revoke(
        self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
        secret_id: Annotated[int, PathParameter(ge=1, le=INT32_MAX)],
    ) -> dict[str, int]:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            if not await revoke_secret(session, app_id, secret_id):
                raise NotFoundException(f"no active identity secret {secret_id} in this app")
            await session.commit()
        request.app.state.snapshots.invalidate(app_id)
        return {"revoked": secret_id}
