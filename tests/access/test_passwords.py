"""Passwords: argon2id hashes, one answer for a wrong password and an unknown account, rehash on new parameters."""

from __future__ import annotations

from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.access.helpers import PASSWORD, add_person, owner, sign_in
from tests.support import make_app
from waymark.access.models import User
from waymark.access.passwords import MAX_PASSWORD_LENGTH, check_password, hash_password, password_problem
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings


def test_hashes_are_argon2id_and_check_only_the_right_password() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert check_password(stored, PASSWORD).ok
    assert not check_password(stored, PASSWORD + "!").ok
    assert not check_password(None, PASSWORD).ok  # no account: refused, after the same work
    assert not check_password("not a hash", PASSWORD).ok
    assert not check_password(stored, "x" * (MAX_PASSWORD_LENGTH + 1)).ok


def test_old_parameters_are_rehashed_with_the_current_ones() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    verdict = check_password(weak, PASSWORD)
    assert verdict.ok and verdict.rehashed is not None and verdict.rehashed != weak
    assert check_password(verdict.rehashed, PASSWORD).rehashed is None  # current: kept as is


def test_password_rules() -> None:
    assert password_problem("short") is not None
    assert password_problem("x" * (MAX_PASSWORD_LENGTH + 1)) is not None
    assert password_problem("ten chars\x00!") is not None
    assert password_problem("ten chars!") is None


async def test_signing_in_upgrades_an_old_hash(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "a@example.com", owner(app.id))
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    engine = create_engine(settings.database_url)
    try:
        maker = make_sessionmaker(engine)
        async with maker() as session:
            user = await session.scalar(select(User).where(User.email == "a@example.com"))
            assert user is not None
            user.password_hash = weak
            await session.commit()
        assert (await sign_in(client, "a@example.com")).status_code == 303
        async with maker() as session:
            stored = await session.scalar(select(User.password_hash).where(User.email == "a@example.com"))
    finally:
        await engine.dispose()
    assert stored != weak and stored is not None and "m=65536" in stored
