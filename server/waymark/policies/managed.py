"""Policies managed over REST: the request becomes the policy guide a file would be, checked and published alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.db.scope import app_session
from waymark.guides.loader import validate_sources
from waymark.guides.publishing import items_from_loaded
from waymark.guides.services import PublishHook, publish
from waymark.policies.publishing import PolicyConflict
from waymark.policies.schemas import PolicyIn

__all__ = ["policy_guide", "publish_policy"]


def policy_guide(policy_id: str, data: PolicyIn) -> dict[str, Any]:
    """The guide file a REST policy stands for."""
    rules: dict[str, Any] = {"version": data.version, "allow_decline": data.allow_decline,
                             "respect_budget": data.respect_budget}
    if data.tenant is not None:
        rules["tenant"] = data.tenant
    guide: dict[str, Any] = {
        "id": policy_id, "name": data.name or policy_id, "kind": "policy", "priority": data.priority,
        "locales": {"default": data.default_locale}, "policy": rules,
        "steps": [{"type": "lightbox", "title": data.title, "body": data.body}],
    }
    if data.pages:
        guide["targeting"] = {"pages": list(data.pages)}
    return guide


async def publish_policy(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str, policy_id: str, data: PolicyIn,
    hooks: Sequence[PublishHook],
) -> None:
    """Validate and publish; raises :class:`PolicyConflict` with every problem (nothing published)."""
    text = yaml.safe_dump(policy_guide(policy_id, data), allow_unicode=True, sort_keys=False)
    loaded, errors = validate_sources([(f"policy {policy_id}", text)])
    if errors:
        raise PolicyConflict([str(e) for e in errors])
    async with app_session(sessionmaker, app_id) as session:
        await publish(session, app_id, items_from_loaded(loaded), hooks)
        await session.commit()
