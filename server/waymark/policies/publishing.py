"""Recording policy versions as guides are published: in the push's transaction, refusing a changed text
without a new version number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.guides.kinds.policy_rules import policy_texts
from waymark.guides.kinds.policy_text import variant_hashes
from waymark.guides.schemas import GuideFile
from waymark.guides.services import PublishItem, PublishRefused
from waymark.policies.models import PolicyVersion

__all__ = ["PolicyConflict", "PolicyVersions", "record_policy_versions"]


class PolicyConflict(PublishRefused):
    """A push would change a published policy version: ``problems`` says which, one line each."""


class PolicyVersions:
    """The publish hook that records each pushed policy version (registered in :mod:`waymark.wiring`)."""

    async def before_publish(self, session: AsyncSession, app_id: str, items: Sequence[PublishItem]) -> None:
        await record_policy_versions(session, app_id, items)


class _Item(Protocol):
    id: str
    kind: str
    definition: dict[str, Any]
    source: str | None


async def record_policy_versions(session: AsyncSession, app_id: str, items: Sequence[_Item]) -> int:
    """Store each new policy version among ``items``; an unchanged one is left as is. The caller commits.

    Raises :class:`PolicyConflict` (nothing stored) when a version already published would get
    another text, tenant or Decline choice, or when a version number goes down.
    """
    problems: list[str] = []
    new: list[PolicyVersion] = []
    for item in items:
        if item.kind != "policy":
            continue
        guide = msgspec.convert(item.definition, GuideFile)
        rules = guide.policy
        if rules is None:  # the loader requires it; never publish a policy without its version
            problems.append(f"{item.source or item.id}: policy: missing")
            continue
        title, body, default = policy_texts(guide)
        hashes = variant_hashes(title, body)
        where = item.source or item.id
        stored = await session.get(PolicyVersion, (app_id, guide.id, rules.version))
        if stored is not None:
            changed = [name for name, same in (
                ("text", stored.hashes == hashes and stored.title == title and stored.body == body),
                ("tenant", stored.tenant_id == rules.tenant),
                ("allow_decline", stored.allow_decline == rules.allow_decline),
            ) if not same]
            if changed:
                problems.append(
                    f"{where}: policy.version: policy {guide.id!r} v{rules.version} is already published with "
                    f"another {' and '.join(changed)}; a changed policy needs a new version number "
                    f"(v{rules.version + 1} or more)")
            continue
        latest = await session.scalar(select(func.max(PolicyVersion.version)).where(
            PolicyVersion.app_id == app_id, PolicyVersion.policy_id == guide.id))
        if latest is not None and rules.version < latest:
            problems.append(f"{where}: policy.version: policy {guide.id!r} is at v{latest}; versions only go up "
                            f"(got v{rules.version})")
            continue
        new.append(PolicyVersion(app_id=app_id, policy_id=guide.id, version=rules.version, tenant_id=rules.tenant,
                                 allow_decline=rules.allow_decline, default_locale=default, title=title, body=body,
                                 hashes=hashes))
    if problems:
        raise PolicyConflict(problems)
    session.add_all(new)
    return len(new)
