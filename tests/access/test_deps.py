"""The principal and the scope of a request: who may read which app and tenant, 404 for anything else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import get
from litestar.di import NamedDependency
from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, sign_in
from tests.support import make_app
from waymark.access.deps import requires
from waymark.access.principal import Action, Grant, Principal, Role
from waymark.app import create_app
from waymark.apps.services import NewApp
from waymark.db.scope import Scope
from waymark.settings import Settings


@get("/admin/apps/{app_id:str}/tenants/{tenant_id:str}/probe", sync_to_thread=False)
def tenant_probe(access_scope: NamedDependency[Scope]) -> str:
    return f"{access_scope.app_id}/{access_scope.tenant_id}"


@get("/admin/apps/{app_id:str}/probe", sync_to_thread=False)
def app_probe(access_scope: NamedDependency[Scope]) -> str:
    return f"{access_scope.app_id}/{access_scope.tenant_id}"


@get("/admin/apps/{app_id:str}/manage-probe", guards=[requires(Action.MANAGE)], sync_to_thread=False)
def manage_probe(principal: NamedDependency[Principal | None]) -> str:
    return principal.kind if principal else "nobody"


@pytest.fixture
async def probe(settings: Settings) -> AsyncIterator[tuple[AsyncTestClient, NewApp, NewApp]]:
    app, other = await make_app(settings, "app"), await make_app(settings, "other")
    await add_person(settings, "admin@acme.test", [Grant(app.id, Role.TENANT_ADMIN, "acme")])
    await add_person(settings, "analyst@example.com", [Grant(app.id, Role.ANALYST)])
    await add_person(settings, "owner@example.com", [Grant(app.id, Role.OWNER)])
    web = create_app(settings, extra_route_handlers=[tenant_probe, app_probe, manage_probe])
    async with AsyncTestClient(app=web) as client:
        yield client, app, other


async def _status(client: AsyncTestClient, path: str) -> tuple[int, str]:
    answer = await client.get(path, follow_redirects=False)
    return answer.status_code, answer.text if answer.status_code == 200 else answer.headers.get("location", "")


async def test_a_tenant_admin_reads_only_their_tenant(probe: tuple[AsyncTestClient, NewApp, NewApp]) -> None:
    client, app, other = probe
    await sign_in(client, "admin@acme.test")
    assert await _status(client, f"/admin/apps/{app.id}/tenants/acme/probe") == (200, f"{app.id}/acme")
    for path in (f"/admin/apps/{app.id}/tenants/umbra/probe", f"/admin/apps/{app.id}/probe",
                 f"/admin/apps/{app.id}/manage-probe", f"/admin/apps/{other.id}/tenants/acme/probe",
                 "/admin/apps/no-such-app/tenants/acme/probe"):
        assert (await _status(client, path))[0] == 404, path


async def test_roles_and_keys(probe: tuple[AsyncTestClient, NewApp, NewApp]) -> None:
    client, app, other = probe
    await sign_in(client, "analyst@example.com")
    assert await _status(client, f"/admin/apps/{app.id}/tenants/umbra/probe") == (200, f"{app.id}/umbra")
    assert await _status(client, f"/admin/apps/{app.id}/probe") == (200, f"{app.id}/None")
    assert (await _status(client, f"/admin/apps/{app.id}/manage-probe"))[0] == 404
    client.cookies.clear()
    await sign_in(client, "owner@example.com")
    assert await _status(client, f"/admin/apps/{app.id}/manage-probe") == (200, "person")
    assert (await _status(client, f"/admin/apps/{other.id}/manage-probe"))[0] == 404
    client.cookies.clear()
    signed_out = await _status(client, f"/admin/apps/{app.id}/probe?from=2026-01-01")
    assert signed_out == (303, f"/admin/login?next=/admin/apps/{app.id}/probe%3Ffrom%3D2026-01-01")
    key = {"Authorization": f"Bearer {app.secret_key}"}
    assert (await client.get(f"/admin/apps/{app.id}/manage-probe", headers=key)).text == "secret_key"
    assert (await client.get(f"/admin/apps/{other.id}/probe", headers=key)).status_code == 404
    assert (await client.get(f"/admin/apps/{app.id}/probe", headers={"Authorization": "Bearer sk_revoked"},
                             follow_redirects=False)).status_code == 303
