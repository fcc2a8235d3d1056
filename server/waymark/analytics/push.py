"""Pushing definition files: to the local database in one transaction, or to a server over REST."""

from __future__ import annotations

import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.definitions import DefinitionFiles
from waymark.analytics.services import Saved, delete_definition, list_features, list_pages, save_feature, save_page

__all__ = ["PushError", "push_definitions", "push_definitions_remote"]

_UNITS = {"page": "views", "feature": "clicks"}


class PushError(RuntimeError):
    pass


def _line(kind: str, rule_id: str, created: bool, rebuilt: bool, counted: int) -> str:
    if created:
        return f"{kind} {rule_id}: created, {counted} {_UNITS[kind]} counted from stored events"
    if rebuilt:
        return f"{kind} {rule_id}: rule changed, {counted} {_UNITS[kind]} recounted from stored events"
    return f"{kind} {rule_id}: rule unchanged"


def _saved_line(kind: str, rule_id: str, saved: Saved) -> str:
    return _line(kind, rule_id, saved.created, saved.rebuilt, saved.counted)


async def push_definitions(session: AsyncSession, app_id: str, files: DefinitionFiles, prune: bool) -> list[str]:
    """Save every definition (the caller commits: all or nothing); ``prune`` deletes the others of each kind
    that the files list."""
    lines = [_saved_line("page", i, await save_page(session, app_id, i, d)) for i, d, _ in files.pages]
    lines += [_saved_line("feature", i, await save_feature(session, app_id, i, d)) for i, d, _ in files.features]
    if prune:
        if files.has_pages:
            keep = {i for i, _, _ in files.pages}
            for page in await list_pages(session, app_id):
                if page.id not in keep:
                    await delete_definition(session, "page", app_id, page.id)
                    lines.append(f"page {page.id}: deleted")
        if files.has_features:
            keep = {i for i, _, _ in files.features}
            for feature in await list_features(session, app_id):
                if feature.id not in keep:
                    await delete_definition(session, "feature", app_id, feature.id)
                    lines.append(f"feature {feature.id}: deleted")
    return lines


def push_definitions_remote(server: str, key: str, files: DefinitionFiles, prune: bool) -> list[str]:
    """The same over REST, one PUT per definition (each applied on its own, not all or nothing)."""
    lines: list[str] = []
    base = server.rstrip("/")
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=600) as client:

        def call(method: str, path: str, body: object = None) -> httpx.Response:
            try:
                response = client.request(method, path, json=body)
            except httpx.HTTPError as exc:
                raise PushError(f"cannot reach {server}: {exc}") from exc
            if response.status_code >= 400:
                try:
                    detail = response.json().get("detail")
                except ValueError:
                    detail = response.text[:200]
                raise PushError(f"{server} refused {method} {path} ({response.status_code}): {detail}")
            return response

        for kind, entries in (("page", files.pages), ("feature", files.features)):
            for rule_id, definition, _ in entries:
                answer = call("PUT", f"/api/v1/{kind}s/{rule_id}", msgspec.to_builtins(definition))
                rebuilt = answer.headers.get("x-waymark-rebuilt", "no")
                lines.append(_line(kind, rule_id, answer.status_code == 201, rebuilt != "no",
                                   int(rebuilt) if rebuilt.isdigit() else 0))
            listed = files.has_pages if kind == "page" else files.has_features
            if prune and listed:
                keep = {i for i, _, _ in entries}
                for item in call("GET", f"/api/v1/{kind}s").json():
                    if item["id"] not in keep:
                        call("DELETE", f"/api/v1/{kind}s/{item['id']}")
                        lines.append(f"{kind} {item['id']}: deleted")
    return lines
