"""``waymark guides explain``: the explainer against the local database or a remote server, as lines for people."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click
import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from waymark.cli_support import with_app_engine
from waymark.delivery.explain import Explanation, UnknownGuide, explain_guide
from waymark.delivery.snapshot import SnapshotStore
from waymark.delivery.state_reader import make_state_reader
from waymark.settings import get_settings

__all__ = ["explain_lines", "fetch_explanation"]

_MARK = {"pass": "pass", "fail": "FAIL", "skipped": "  - "}


async def _local(key: str, guide: str, visitor: str, tenant: str | None, url: str,
                 locale: str | None) -> Explanation:
    async def explain(engine: AsyncEngine, maker: async_sessionmaker[AsyncSession], app_id: str) -> Explanation:
        state = make_state_reader(get_settings().database_url, engine)
        return await explain_guide(maker, SnapshotStore(maker, 0), state, app_id, guide, visitor, tenant, url,
                                   locale, datetime.now(UTC))

    try:
        return await with_app_engine(key, explain)
    except UnknownGuide as exc:
        raise click.ClickException(str(exc)) from exc


def fetch_explanation(key: str, guide: str, visitor: str, tenant: str | None, url: str, locale: str | None,
                      server: str | None) -> Explanation:
    """The explanation from the local database, or from ``server`` over HTTP."""
    if not server:
        return asyncio.run(_local(key, guide, visitor, tenant, url, locale))
    params = {k: v for k, v in (("visitor", visitor), ("url", url), ("tenant", tenant), ("locale", locale)) if v}
    try:
        response = httpx.get(f"{server.rstrip('/')}/api/v1/guides/{guide}/explain", params=params,
                             headers={"Authorization": f"Bearer {key}"}, timeout=30)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {server}: {exc}") from exc
    if response.status_code != 200:
        raise click.ClickException(f"{server} refused ({response.status_code}): {response.text[:200]}")
    return msgspec.json.decode(response.content, type=Explanation)


def explain_lines(found: Explanation) -> list[str]:
    """A verdict line, then one line per check: pass, FAIL (with its reason code) or not reached."""
    verdict = ("starts by itself" if found.starts else "is listed (starts on click or from the API)" if found.listed
               else "is not sent")
    lines = [f"{found.guide} for visitor {found.visitor} on {found.url}: {verdict}"
             + (f"; reason: {found.reason}" if found.reason else "")]
    for check in found.checks:
        parts = [f"  {_MARK[check.status]} {check.name}"]
        if check.reason:
            parts.append(f"[{check.reason}]")
        if check.until:
            parts.append(f"until {check.until.isoformat(timespec='seconds')}")
        if check.by:
            parts.append(f"by {check.by}")
        if check.detail:
            parts.append(f"({check.detail})")
        lines.append(" ".join(parts))
    return lines
