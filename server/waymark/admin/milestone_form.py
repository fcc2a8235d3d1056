"""Reading the milestone form (no I/O): text fields into the definition the API takes, problems named per field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from waymark.behaviour.milestone_schemas import MilestoneOut
from waymark.behaviour.milestones import Definition, MilestoneError, parse_definition, parse_milestone_id

__all__ = ["FORM_FIELDS", "form_values", "read_milestone_form"]

FORM_FIELDS = ("id", "name", "kind", "ref", "at_least", "within_days", "field", "percent", "days")
_PER_KIND = {
    "visitors_did": ("ref", "at_least", "within_days"),
    "active_share": ("field", "percent", "days"),
    "events_count": ("ref", "at_least", "days"),
}
_WHOLE = ("at_least", "within_days", "days")
_NUMBER = re.compile(r"\d{1,12}(\.\d{1,6})?")


def read_milestone_form(form: Mapping[str, str]) -> tuple[str, Definition]:
    """The milestone id and definition of a submitted form; MilestoneError names the first wrong field.

    Only the chosen kind's fields are read (the form shows every kind's), and their numbers must be written
    as plain decimals.
    """
    milestone_id = parse_milestone_id((form.get("id") or "").strip())
    kind = (form.get("kind") or "").strip()
    raw: dict[str, Any] = {"kind": kind, "name": form.get("name") or ""}
    for name in _PER_KIND.get(kind, ()):
        text = (form.get(name) or "").strip()
        if name in _WHOLE or name == "percent":
            if not _NUMBER.fullmatch(text) or (name in _WHOLE and "." in text):
                what = "a whole number" if name in _WHOLE else "a number"
                raise MilestoneError(name, f"give {what}; {text[:20]!r} given")
            raw[name] = int(text) if name in _WHOLE else float(text)
        else:
            raw[name] = text
    return milestone_id, parse_definition(raw)


def form_values(milestone: MilestoneOut) -> dict[str, str]:
    """A saved milestone as the form's text fields (to edit it)."""
    values = {"id": milestone.id, "name": milestone.name, "kind": milestone.kind}
    for name in FORM_FIELDS[3:]:
        value = getattr(milestone, name)
        values[name] = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
    return values
