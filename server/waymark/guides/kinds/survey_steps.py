"""What the widget gets for an NPS or poll step, localised: the compiler's half of the survey steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from waymark.guides.schemas import NpsStep, PollStep, Text

__all__ = ["DEFAULT_NPS_QUESTION", "survey_step_json"]

DEFAULT_NPS_QUESTION = "How likely are you to recommend us to a friend or colleague?"

Localise = Callable[[Text | None], str]


def survey_step_json(step: NpsStep | PollStep, text: Localise) -> dict[str, Any]:
    """The survey fields of a step (title and body are the compiler's); empty values are left out by it."""
    if isinstance(step, NpsStep):
        follow = step.follow_up
        out: dict[str, Any] = {
            "title": text(step.title) or DEFAULT_NPS_QUESTION,
            "low": text(step.low_label), "high": text(step.high_label), "max_length": step.max_length,
        }
        if follow is not None:
            default = text(follow.default)
            out["follow_up"] = {
                kind: text(getattr(follow, kind)) or default for kind in ("promoter", "passive", "detractor")
            }
        return out
    options = [{"id": o.id, "label": text(o.label)} for o in step.options or ()]
    return {"question": step.question, "input": step.input, "options": options, "max_length": step.max_length}
