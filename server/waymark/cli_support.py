"""What the CLI does against a database or a remote server, kept apart from argument parsing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from waymark.apps.services import KeyResolver
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.guides.loader import LoadedGuide
from waymark.guides.publishing import items_from_loaded
from waymark.guides.services import (
    NothingToRollBack,
    PublishRefused,
    PublishResult,
    archive,
    archive_missing,
    publish,
    rollback,
)
from waymark.settings import Settings, get_settings
from waymark.wiring import publish_hooks

__all__ = ["archive_guide", "call_remote", "on_app_database", "push_files", "rollback_guide", "with_session"]

T = TypeVar("T")


async def with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


async def with_app_engine(
    key: str, work: Callable[[AsyncEngine, async_sessionmaker[AsyncSession], str], Awaitable[T]]
) -> T:
    """Run ``work(engine, sessionmaker, app_id)`` on the local database for the app of secret ``key``."""
    engine = create_engine(get_settings().database_url)
    try:
        maker = make_sessionmaker(engine)
        app_id = await KeyResolver(maker).secret(key) if key.startswith("sk_") else None
        if app_id is None:
            raise click.ClickException("unknown or revoked secret key (pass the app's sk_… key to --app)")
        return await work(engine, maker, app_id)
    finally:
        await engine.dispose()


def on_app_database(key: str, work: Callable[[AsyncSession, str], Awaitable[T]]) -> T:
    """Run ``work(session, app_id)`` on the local database for the app of secret ``key``, then commit."""

    async def in_session(_: AsyncEngine, maker: async_sessionmaker[AsyncSession], app_id: str) -> T:
        async with maker() as session:
            result = await work(session, app_id)
            await session.commit()
            return result

    return asyncio.run(with_app_engine(key, in_session))


def call_remote(method: str, server: str, key: str | None, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call a Waymark's secret-key API; its JSON answer, or one readable error naming what it refused."""
    if not key:
        raise click.ClickException("--server needs --key sk_… (or WAYMARK_SECRET_KEY)")
    try:
        response = httpx.request(method, server.rstrip("/") + path, json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {server}: {exc}") from exc
    payload = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    if response.status_code >= 400:
        detail = payload.get("detail") if isinstance(payload, dict) else None
        lines = [f"{server} refused ({response.status_code}): {detail or response.text[:200]}"]
        for problem in payload.get("errors", []) if isinstance(payload, dict) else []:
            lines.append(f"  {problem}")
        raise click.ClickException("\n".join(lines))
    return payload


def _remote(server: str, key: str, path: str, payload: dict[str, object]) -> dict[str, Any]:
    answer: dict[str, Any] = call_remote("POST", server, key, path, payload)
    return answer


def purge_remote(server: str, key: str, dry_run: bool) -> dict[str, Any]:
    """``waymark retention purge --server``: purge the key's app on that Waymark; its answer."""
    return _remote(server, key, "/api/v1/retention/purge", {"dry_run": dry_run})


def _pushed(r: dict[str, Any]) -> str:
    return f"{r['id']}: v{r['version']}{'' if r['changed'] else ' (unchanged)'}"


def _archived(r: dict[str, Any]) -> str:
    return f"{r['id']}: archived (was v{r['version']})" if r["changed"] else f"{r['id']}: already archived"


def push_files(loaded: list[LoadedGuide], key: str, server: str | None, prune: bool = False) -> list[str]:
    """Publish the files; with ``prune``, also archive the published guides (not policies) they do not hold."""
    if server:
        files = [{"name": g.file, "content": Path(g.file).read_text(encoding="utf-8")} for g in loaded]
        payload: dict[str, object] = {"files": files, "prune": True} if prune else {"files": files}
        body = _remote(server, key, "/api/v1/guide-definitions/push", payload)
        return [*map(_pushed, body.get("published", [])), *map(_archived, body.get("archived", []))]

    async def work(session: AsyncSession, app_id: str) -> tuple[list[PublishResult], list[dict[str, Any]]]:
        results = await publish(session, app_id, items_from_loaded(loaded), publish_hooks())
        gone = await archive_missing(session, app_id, {g.guide.id for g in loaded}) if prune else []
        return results, [msgspec.to_builtins(a) for a in gone]

    try:
        results, gone = on_app_database(key, work)
    except PublishRefused as exc:
        raise click.ClickException("\n".join(["nothing was published:", *exc.problems])) from exc
    return [*(_pushed(msgspec.to_builtins(r)) for r in results), *map(_archived, gone)]


def archive_guide(guide_id: str, key: str, server: str | None) -> str:
    """Stop delivering one guide (or policy); its history is kept."""
    if server:
        return _archived(_remote(server, key, f"/api/v1/guide-definitions/{guide_id}/archive", {}))

    async def work(session: AsyncSession, app_id: str) -> str:
        try:
            return _archived(msgspec.to_builtins(await archive(session, app_id, guide_id)))
        except NothingToRollBack as exc:
            raise click.ClickException(str(exc)) from exc

    return on_app_database(key, work)


def rollback_guide(guide_id: str, key: str, server: str | None) -> str:
    if server:
        body = _remote(server, key, f"/api/v1/guide-definitions/{guide_id}/rollback", {})
        return f"{guide_id}: v{body['version']} published again"

    async def work(session: AsyncSession, app_id: str) -> str:
        try:
            result = await rollback(session, app_id, guide_id)
        except NothingToRollBack as exc:
            raise click.ClickException(str(exc)) from exc
        return f"{guide_id}: v{result.version} published again"

    return on_app_database(key, work)
