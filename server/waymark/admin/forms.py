"""Reading the admin's HTML forms (no I/O): numbers in range, checkboxes, lists; problems named per field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["FormProblems", "SettingsForm", "TenantPrivacyForm", "read_settings", "read_tenant_privacy"]

_FIELD_NAME = re.compile(r"[A-Za-z0-9_.-]{1,200}")


@dataclass
class FormProblems:
    """Field name → what is wrong with it, in words for the person who filled the form."""

    by_field: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def summary(self) -> str:
        return " ".join(self.by_field.values())


def _whole(form: Mapping[str, str], name: str, label: str, low: int, high: int, problems: FormProblems,
           *, blank_ok: bool = False) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if blank_ok:
            return None
        problems.by_field[name] = f"{label}: give a whole number from {low} to {high}."
        return None
    if not re.fullmatch(r"\d{1,12}", raw) or not low <= int(raw) <= high:
        problems.by_field[name] = f"{label}: {raw[:20]!r} is not a whole number from {low} to {high}."
        return None
    return int(raw)


def _checked(form: Mapping[str, str], name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


@dataclass(frozen=True, slots=True)
class SettingsForm:
    throttle_seconds: int
    max_auto_guides_per_day: int
    retention_days: int | None
    honor_dnt: bool
    require_identity: bool


def read_settings(form: Mapping[str, str]) -> tuple[SettingsForm | None, FormProblems]:
    """The settings form; None with the problems when a field is wrong (nothing is saved then)."""
    problems = FormProblems()
    throttle = _whole(form, "throttle_seconds", "Time between automatic guides", 0, 31_536_000, problems)
    daily = _whole(form, "max_auto_guides_per_day", "Automatic guides per day", 0, 1000, problems)
    retention = _whole(form, "retention_days", "Keep events for", 1, 36_500, problems, blank_ok=True)
    if problems or throttle is None or daily is None:
        return None, problems
    return SettingsForm(throttle, daily, retention, _checked(form, "honor_dnt"),
                        _checked(form, "require_identity")), problems


@dataclass(frozen=True, slots=True)
class TenantPrivacyForm:
    tenant_id: str
    opted_out: bool
    drop_fields: list[str]


def read_tenant_privacy(form: Mapping[str, str]) -> tuple[TenantPrivacyForm | None, FormProblems]:
    """A tenant id, the opt-out box and the dropped fields (comma- or line-separated)."""
    problems = FormProblems()
    tenant = (form.get("tenant_id") or "").strip()
    if not tenant or len(tenant) > 200:
        problems.by_field["tenant_id"] = "Tenant: give the tenant's id (at most 200 characters)."
    fields = [f.strip() for f in re.split(r"[,\n]", form.get("drop_fields") or "") if f.strip()]
    bad = [f for f in fields if not _FIELD_NAME.fullmatch(f)]
    if bad:
        problems.by_field["drop_fields"] = (f"Dropped fields: {bad[0][:40]!r} is not a field name "
                                            "(letters, digits, _ . - only).")
    elif "id" in fields:
        problems.by_field["drop_fields"] = "Dropped fields: the visitor id cannot be dropped; every event needs it."
    elif len(fields) > 100:
        problems.by_field["drop_fields"] = "Dropped fields: at most 100."
    if problems:
        return None, problems
    return TenantPrivacyForm(tenant, _checked(form, "opted_out"), list(dict.fromkeys(fields))), problems
