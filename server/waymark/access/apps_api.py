"""Apps over the API (secret key), for ``waymark apps list|create --server``.

A secret key speaks for one app, so it lists only that app. It may create a new app: the new app's owners are
the key's app's owners (the people who could have created it in the admin), so nobody gains a way into data
they could not already read, and the new app is not left without anyone able to sign in to it.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from waymark.access.api_controllers import key_app
from waymark.access.deps import audit
from waymark.access.services import copy_owners
from waymark.apps.services import AppInfo, create_app_with_keys, list_apps
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.wire import LINE_PATTERN

__all__ = ["AppsApiController"]


class AppIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=LINE_PATTERN)]


class CreatedApp(msgspec.Struct):
    id: str
    name: str
    public_key: str
    secret_key: str
    """Shown only in this answer; stored hashed."""
    owners: list[str]
    """The emails of its owners: the owners of the key's app."""


class AppsApiController(Controller):
    path = "/api/v1/apps"
    tags = ["apps"]
    dependencies = {"app_id": Provide(key_app)}
    security = SECRET_KEY

    @get("/", operation_id="ListApps", operation_class=documented(401, 403))
    async def list_key_app(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> list[AppInfo]:
        """The key's app, with its public key and the prefixes of its live secret keys."""
        async with request.app.state.sessionmaker() as db:
            return await list_apps(db, only=app_id)

    @post("/", operation_id="CreateApp", status_code=HTTP_201_CREATED, operation_class=documented(400, 401, 403, 413))
    async def create(self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
                     data: JSONBody[AppIn]) -> CreatedApp:
        """A new app with a public key and one secret key, owned by the owners of the key's app."""
        name = " ".join(data.name.split())
        if not name:
            raise ClientException("name: give the app a name")
        async with request.app.state.sessionmaker() as db:
            created = await create_app_with_keys(db, name)
            owners = await copy_owners(db, app_id, created.id)
        await audit(request, "app.create", f"{created.id} {name}", created.id)
        return CreatedApp(created.id, created.name, created.public_key, created.secret_key, owners)
