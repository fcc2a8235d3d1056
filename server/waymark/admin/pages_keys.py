"""``/admin/apps/{app_id}/keys`` (owners): the public key and embed snippet, secret keys, identity secrets."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select

from waymark.access.deps import audit, requires
from waymark.access.principal import Action
from waymark.admin.app_context import load_app
from waymark.admin.render import page
from waymark.apps.secret_keys import (
    NewSecretKey,
    NoSuchKey,
    create_secret_key,
    list_secret_keys,
    revoke_secret_key,
    rotate_secret_key,
)
from waymark.db.models import IdentitySecret
from waymark.db.scope import app_session
from waymark.identity.services import create_secret, revoke_secret

__all__ = ["KeysPage", "embed_snippet"]


def embed_snippet(public_url: str, public_key: str) -> str:
    """The three lines a host page adds (see the README): the queue stub, the script, an initialize call."""
    stub = ('<script>window.waymark=window.waymark||{_q:[]};["initialize","identify","track","showGuide","optOut",'
            '"optIn"].forEach(function(m){waymark[m]=waymark[m]||function(){waymark._q.push([m,[].slice.call('
            'arguments)])}})</script>')
    return "\n".join((
        stub,
        f'<script async src="{public_url.rstrip("/")}/widget.js" data-key="{public_key}"></script>',
        '<script>waymark.initialize({visitor: {id: "USER-ID"}, tenant: {id: "ACCOUNT-ID"}})</script>',
    ))


async def _render(request: Request[Any, Any, Any], app_id: str, *, notice: str = "", error: str = "",
                  new_key: NewSecretKey | None = None, new_identity_secret: str = "",
                  status_code: int = 200) -> Template:
    async with app_session(request.app.state.sessionmaker, app_id) as session:
        app = await load_app(session, app_id)
        keys = await list_secret_keys(session, app_id)
        identity = (await session.scalars(select(IdentitySecret).where(IdentitySecret.app_id == app_id)
                                          .order_by(IdentitySecret.revoked_at.is_not(None),
                                                    IdentitySecret.id.desc()))).all()
    return page(request, "apps/keys.html", {
        "app": app, "keys": keys, "new_key": new_key, "new_identity_secret": new_identity_secret,
        "identity_secrets": [{"id": s.id, "prefix": s.secret[:7], "created_at": s.created_at,
                              "revoked_at": s.revoked_at} for s in identity],
        "snippet": embed_snippet(request.app.state.settings.public_url, app.public_key),
        "notice": notice, "error": error,
    }, status_code=status_code)


class KeysPage(Controller):
    path = "/admin/apps/{app_id:str}/keys"
    guards = [requires(Action.MANAGE)]
    include_in_schema = False

    @get("/", name="admin-keys")
    async def show(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        return await _render(request, app_id)

    @post("/secret-keys", status_code=200)
    async def create_key(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            new = await create_secret_key(session, app_id)
            await session.commit()
        await audit(request, "secret_key.create", new.prefix, app_id)
        return await _render(request, app_id, new_key=new, notice=f"Secret key {new.prefix}… created.")

    @post("/secret-keys/{key_id:int}/rotate", status_code=200)
    async def rotate_key(self, request: Request[Any, Any, Any], app_id: FromPath[str], key_id: FromPath[int]
                         ) -> Template:
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                new, old = await rotate_secret_key(session, app_id, key_id)
                await session.commit()
        except NoSuchKey:  # answered once the session is closed: SQLite has one connection
            return await _render(request, app_id, error="That key is already revoked.", status_code=404)
        await audit(request, "secret_key.rotate", f"{old} -> {new.prefix}", app_id)
        return await _render(request, app_id, new_key=new,
                             notice=f"Key {old}… is revoked and no longer works; {new.prefix}… replaces it.")

    @post("/secret-keys/{key_id:int}/revoke", status_code=200)
    async def revoke_key(self, request: Request[Any, Any, Any], app_id: FromPath[str], key_id: FromPath[int]
                         ) -> Template:
        try:
            async with app_session(request.app.state.sessionmaker, app_id) as session:
                old = await revoke_secret_key(session, app_id, key_id)
                await session.commit()
        except NoSuchKey:
            return await _render(request, app_id, error="That key is already revoked.", status_code=404)
        await audit(request, "secret_key.revoke", old, app_id)
        return await _render(request, app_id, notice=f"Key {old}… is revoked: it no longer works anywhere.")

    @post("/identity-secrets", status_code=200)
    async def create_identity(self, request: Request[Any, Any, Any], app_id: FromPath[str]) -> Template:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            new = await create_secret(session, app_id)
            await session.commit()
        await audit(request, "identity_secret.create", f"#{new.id}", app_id)
        return await _render(request, app_id, new_identity_secret=new.secret,
                             notice=f"Identity secret #{new.id} created.")

    @post("/identity-secrets/{secret_id:int}/revoke", status_code=200)
    async def revoke_identity(self, request: Request[Any, Any, Any], app_id: FromPath[str],
                              secret_id: FromPath[int]) -> Template:
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            done = await revoke_secret(session, app_id, secret_id)
            await session.commit()
        if not done:
            return await _render(request, app_id, error="That identity secret is already revoked.", status_code=404)
        await audit(request, "identity_secret.revoke", f"#{secret_id}", app_id)
        return await _render(request, app_id, notice=f"Identity secret #{secret_id} is revoked.")
