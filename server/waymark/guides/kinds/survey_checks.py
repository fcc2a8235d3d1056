"""What a guide file's schema cannot say about surveys: which kinds hold which steps, options, ids, spread."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from waymark.guides.schemas import INVALID, FieldPath, NpsStep, PollStep, SurveyRules, Text

__all__ = ["survey_problems", "survey_texts"]

Problem = tuple[FieldPath, str, bool]
"""(path, message, at_key)."""


def survey_problems(kind: str, steps: Sequence[Any], survey: SurveyRules | None, targeting: Any) -> list[Problem]:
    """Every survey problem of one guide; steps that did not validate are skipped."""
    problems: list[Problem] = []
    if kind == "nps":
        if len(steps) != 1:
            problems.append((("steps",), f"a guide of kind nps has exactly one step (found {len(steps)})", True))
        elif steps[0] is not INVALID and not isinstance(steps[0], NpsStep):
            problems.append((("steps", 0, "type"), "the step of an nps guide is an nps step", False))
    elif survey is not None:
        problems.append((("survey",), "only allowed when kind is nps", True))
    schedule = getattr(targeting, "schedule", None)
    if survey is not None and survey.spread_days and (schedule is None or schedule.start is None):
        problems.append((("survey", "spread_days"), "needs targeting.schedule.start (the day the spread begins)",
                         False))
    questions: dict[str, int] = {}
    for i, step in enumerate(steps):
        path: FieldPath = ("steps", i)
        if isinstance(step, NpsStep) and kind != "nps":
            problems.append(((*path, "type"), "an nps step belongs to a guide of kind nps", False))
        if isinstance(step, PollStep):
            if kind not in ("walkthrough", "announcement"):
                problems.append(((*path, "type"), "a poll step belongs to a walkthrough or an announcement", False))
            if step.title is None:
                problems.append(((*path, "title"), "a poll step needs a title (its question)", False))
            if step.question in questions:
                problems.append(((*path, "question"), f"duplicate question id {step.question!r} "
                                 f"(also steps[{questions[step.question]}])", False))
            questions.setdefault(step.question, i)
            problems += _options(path, step)
    return problems


def _options(path: FieldPath, step: PollStep) -> list[Problem]:
    choice = step.input in ("single", "multiple")
    options = step.options
    if not choice:
        return [] if options is None else [((*path, "options"), "only allowed when input is single or multiple", True)]
    if options is None or not 2 <= len(options) <= 20:
        return [((*path, "options"), "single and multiple choice need 2 to 20 options", options is not None)]
    seen: set[str] = set()
    problems: list[Problem] = []
    for j, option in enumerate(options):
        if option.id in seen:
            problems.append(((*path, "options", j, "id"), f"duplicate option id {option.id!r}", False))
        seen.add(option.id)
    return problems


def survey_texts(step: Any) -> Iterator[tuple[tuple[str | int, ...], Text | None]]:
    """The localisable texts of a survey step, by path below the step (for the locale checks)."""
    if isinstance(step, NpsStep):
        yield ("low_label",), step.low_label
        yield ("high_label",), step.high_label
        if step.follow_up is not None:
            for name in ("default", "promoter", "passive", "detractor"):
                yield ("follow_up", name), getattr(step.follow_up, name)
    elif isinstance(step, PollStep):
        for j, option in enumerate(step.options or ()):
            yield ("options", j, "label"), option.label
