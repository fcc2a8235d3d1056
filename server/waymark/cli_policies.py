"""``waymark policies verify``: check an app's evidence chain on the local database or over HTTP."""

from __future__ import annotations

import click
import httpx

from waymark.cli_support import on_app_database
from waymark.policies.ledger import verify_app_chain
from waymark.policies.schemas import BrokenRecord, VerifyResult

__all__ = ["verify_command"]


def _remote(server: str, key: str) -> VerifyResult:
    try:
        response = httpx.get(server.rstrip("/") + "/api/v1/policies/verify",
                             headers={"Authorization": f"Bearer {key}"}, timeout=120)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {server}: {exc}") from exc
    if response.status_code != 200:
        raise click.ClickException(f"{server} refused ({response.status_code}): {response.text[:200]}")
    body = response.json()
    broken = body.get("first_broken")
    return VerifyResult(intact=body["intact"], records=body["records"],
                        first_broken=BrokenRecord(**broken) if broken else None)


def _local(key: str) -> VerifyResult:
    count, broken = on_app_database(key, verify_app_chain)
    return VerifyResult(intact=broken is None, records=count, first_broken=None if broken is None else
                        BrokenRecord(id=broken.id, seq=broken.seq, reason=broken.reason))


def verify_command(key: str, server: str | None) -> int:
    """Print the verdict; the exit status: 0 intact, 1 broken."""
    result = _remote(server, key) if server else _local(key)
    if result.first_broken is None:
        click.echo(f"evidence chain intact: {result.records} record(s)")
        return 0
    b = result.first_broken
    name = f"record #{b.seq} (id {b.id})" if b.id is not None else f"after record #{b.seq - 1}"
    click.echo(f"evidence chain BROKEN at {name}: {b.reason}", err=True)
    return 1
