"""A person's own account page: the TOTP second factor (set up, confirm, turn off) and recovery codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from waymark.access.deps import audit, signed_in_person
from waymark.access.factors import (
    check_second_factor,
    disable_totp,
    enable_totp,
    recovery_codes_left,
    regenerate_codes,
    start_totp_setup,
)
from waymark.access.forms import CodeBody, FormBody, clean
from waymark.access.models import User
from waymark.access.services import grants_of, totp_required_by
from waymark.access.totp import provisioning_uri
from waymark.clock import utcnow

__all__ = ["AccountController"]

WRONG_CODE = "That code is not right: type the current 6-digit code from your authenticator app."


@dataclass
class _Empty:
    unused: str = ""


EmptyBody = Annotated[_Empty, FormBody]


class AccountController(Controller):
    path = "/admin/account"
    include_in_schema = False

    async def _render(self, request: Request[Any, Any, Any], user_id: int, status_code: int = 200,
                      **extra: Any) -> Template:
        async with request.app.state.sessionmaker() as db:
            user = await db.get_one(User, user_id)
            required = await totp_required_by(db, await grants_of(db, user_id))
            left = await recovery_codes_left(db, user_id) if user.totp_enabled else 0
        pending = user.totp_secret if user.totp_secret and not user.totp_enabled else None
        context = {
            "email": user.email, "totp_enabled": user.totp_enabled, "totp_required": required, "codes_left": left,
            "pending_secret": pending, "pending_uri": provisioning_uri(pending, user.email) if pending else None,
            "setup_required": request.query_params.get("setup") == "required" and not user.totp_enabled,
            **extra,
        }
        return Template(template_name="access/account.html", context=context, status_code=status_code,
                        media_type=MediaType.HTML)

    @get("/", cache=False)
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        person = await signed_in_person(request)
        assert person.user_id is not None
        return await self._render(request, person.user_id)

    @post("/totp/start", status_code=200)
    async def start(self, request: Request[Any, Any, Any], data: EmptyBody) -> Template:
        """A new TOTP secret to add to an authenticator app; nothing changes until a code from it is confirmed."""
        person = await signed_in_person(request)
        assert person.user_id is not None
        async with request.app.state.sessionmaker() as db:
            user = await db.get_one(User, person.user_id)
            already = user.totp_enabled
            if not already:
                await start_totp_setup(db, user)
        if already:
            return await self._render(request, person.user_id, HTTP_400_BAD_REQUEST,
                                      error="A second factor is already on; turn it off first to change it.")
        return await self._render(request, person.user_id)

    @post("/totp/confirm", status_code=200)
    async def confirm(self, request: Request[Any, Any, Any], data: CodeBody) -> Template:
        person = await signed_in_person(request)
        assert person.user_id is not None
        async with request.app.state.sessionmaker() as db:
            codes = await enable_totp(db, await db.get_one(User, person.user_id), clean(data.code, 64), utcnow())
        if codes is None:
            return await self._render(request, person.user_id, HTTP_400_BAD_REQUEST, error=WRONG_CODE)
        await audit(request, "account.totp_on", person.email or "", None)
        return await self._render(request, person.user_id, new_codes=codes,
                                  notice="Second factor on. Keep these recovery codes somewhere safe.")

    @post("/totp/off", status_code=200)
    async def turn_off(self, request: Request[Any, Any, Any], data: CodeBody) -> Template | Redirect:
        person = await signed_in_person(request)
        assert person.user_id is not None
        error = None
        async with request.app.state.sessionmaker() as db:
            user = await db.get_one(User, person.user_id)
            if await totp_required_by(db, await grants_of(db, user.id)):
                error = "An app you work on requires a second factor: it stays on."
            elif not await check_second_factor(db, user, clean(data.code, 64), utcnow()):
                error = WRONG_CODE
            else:
                await disable_totp(db, user)
        if error:
            return await self._render(request, person.user_id, HTTP_400_BAD_REQUEST, error=error)
        await audit(request, "account.totp_off", person.email or "", None)
        return await self._render(request, person.user_id, notice="Second factor off.")

    @post("/recovery-codes", status_code=200)
    async def new_codes(self, request: Request[Any, Any, Any], data: CodeBody) -> Template:
        person = await signed_in_person(request)
        assert person.user_id is not None
        async with request.app.state.sessionmaker() as db:
            user = await db.get_one(User, person.user_id)
            ok = await check_second_factor(db, user, clean(data.code, 64), utcnow())
            codes = await regenerate_codes(db, user) if ok else None
        if codes is None:
            return await self._render(request, person.user_id, HTTP_400_BAD_REQUEST, error=WRONG_CODE)
        await audit(request, "account.recovery_codes", person.email or "", None)
        return await self._render(request, person.user_id, new_codes=codes,
                                  notice="New recovery codes; the old ones no longer work.")
