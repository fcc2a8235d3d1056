"""What makes a ``kind: policy`` guide file valid, and how a policy guide is delivered (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from waymark.guides.kinds.policy_text import resolve_locale
from waymark.guides.schemas import GuideFile, LightboxStep, PolicyRules, Text

__all__ = ["policy_json", "policy_problems", "policy_segment", "policy_texts"]

Problem = tuple[tuple[str | int, ...], str, bool]
Predicate = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]


def policy_problems(parts: Mapping[str, Any], steps: list[Any]) -> list[Problem]:
    """Problems of a guide file's policy parts: (field path, message, at the key)."""
    kind, policy = parts.get("kind", "walkthrough"), parts.get("policy")
    if kind != "policy":
        return [] if policy is None else [(("policy",), "only allowed when kind is policy", True)]
    out: list[Problem] = []
    if "policy" not in parts:
        out.append((("policy",), "required for a guide of kind policy (at least its version)", False))
    if len(steps) != 1:
        out.append((("steps",), f"a policy has exactly one step, its text (found {len(steps)})", True))
    if parts.get("snooze_days") is not None:
        out.append((("snooze_days",), "a policy cannot be put off: it is accepted or declined", True))
    activation = parts.get("activation")
    if activation is not None and activation.mode != "automatic":
        out.append((("activation", "mode"), "a policy asks by itself: its activation is automatic", False))
    step = steps[0] if steps else None
    if step is not None and hasattr(step, "__struct_config__"):
        if not isinstance(step, LightboxStep):
            out.append((("steps", 0, "type"), "the step of a policy is a lightbox", False))
        if step.title is None or step.body is None:
            out.append((("steps", 0), "a policy step needs a title and a body", False))
        elif isinstance(step.title, dict) and isinstance(step.body, dict) and set(step.title) != set(step.body):
            out.append((("steps", 0, "title"), "a policy's title and body are given in the same locales "
                                               f"(title: {', '.join(sorted(step.title))}; "
                                               f"body: {', '.join(sorted(step.body))})", False))
    return out


def _default_locale(guide: GuideFile) -> str:
    return guide.locales.default if guide.locales else "en"


def policy_texts(guide: GuideFile) -> tuple[dict[str, str], dict[str, str], str]:
    """Title and body per locale (a single text counts for every locale given), and the default locale."""
    default = _default_locale(guide)
    step = guide.steps[0]
    title: Text = step.title or ""
    body: Text = step.body or ""
    locales = [*(title if isinstance(title, dict) else {}), *(body if isinstance(body, dict) else {})]
    every = list(dict.fromkeys(locales)) or [default]

    def spread(text: Text) -> dict[str, str]:
        return dict(text) if isinstance(text, dict) else dict.fromkeys(every, text)

    return spread(title), spread(body), default


def policy_segment(rules: PolicyRules, segment: Predicate | None) -> Predicate | None:
    """The guide's segment, narrowed to the policy's tenant when it has one."""
    tenant_id = rules.tenant
    if tenant_id is None:
        return segment

    def of_tenant(visitor: Mapping[str, Any], tenant: Mapping[str, Any]) -> bool:
        return tenant.get("id") == tenant_id and (segment is None or segment(visitor, tenant))

    return of_tenant


def policy_json(guide: GuideFile, locale: str | None) -> dict[str, Any] | None:
    """What the widget needs beside the step: which version and locale it shows, and whether Decline is offered."""
    rules = guide.policy
    if rules is None:
        return None
    title, body, default = policy_texts(guide)
    out: dict[str, Any] = {"version": rules.version, "locale": resolve_locale(body or title, locale, default)}
    if rules.allow_decline:
        out["allow_decline"] = True
    if rules.respect_budget:
        out["respect_budget"] = True
    return out
