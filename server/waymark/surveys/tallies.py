"""What an answer counts for in the day tallies, and when each of a visitor's answers was replaced (pure: no I/O).

See :class:`~waymark.surveys.models.SurveyDayTally` for how a range reads them: an answer of
day ``d`` replaced on day ``u`` counts in a range ``[s, e]`` when ``s <= d <= e < u``, which is
exactly "each visitor's latest answer in the range".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from waymark.clock import as_utc
from waymark.surveys.models import NEVER

__all__ = ["Delta", "TalliedAnswer", "deltas", "items", "replacements", "until"]

Delta = tuple[str, str, date, date, str]
"""(guide, question, day, until, item): a tally row's key."""


class TalliedAnswer(NamedTuple):
    """The columns of an answer that its tallies depend on."""

    id: int
    guide_id: str
    kind: str
    question: str
    visitor_id: str
    ts: datetime
    score: int | None
    choices: list[Any] | None
    comment: str | None
    replaced_at: datetime | None


def until(replaced_at: datetime | None) -> date:
    """The tally's ``until`` of an answer replaced at ``replaced_at`` (:data:`NEVER` while it is not)."""
    return NEVER if replaced_at is None else as_utc(replaced_at).date()


def items(kind: str, score: int | None, choices: Sequence[Any] | None, comment: str | None) -> list[str]:
    """The items a visitor's latest answer counts for (``commented`` is counted apart: see :func:`deltas`)."""
    if kind == "nps":
        return [f"score:{score}"] if score is not None else []
    found = ["answer"]
    if score is not None:
        found.append(f"score:{score}")
    found += [f"choice:{c}" for c in dict.fromkeys(choices or ())]
    if comment:
        found.append("text")
    return found


def deltas(answer: TalliedAnswer, sign: int, replaced_at: datetime | None) -> dict[Delta, int]:
    """The tally changes of adding (``sign`` 1) or taking away (-1) an answer as replaced at ``replaced_at``."""
    day = as_utc(answer.ts).date()
    out = {(answer.guide_id, answer.question, day, until(replaced_at), item): sign
           for item in items(answer.kind, answer.score, answer.choices, answer.comment)}
    if answer.kind == "nps" and answer.comment and answer.score is not None:
        out[(answer.guide_id, answer.question, day, NEVER, "commented")] = sign
    return out


def replacements(chain: Iterable[TalliedAnswer]) -> dict[int, datetime | None]:
    """Each answer of one visitor's chain (same guide and question) by id: the time of the next one, or None."""
    ordered = sorted(chain, key=lambda a: (as_utc(a.ts), a.id))
    return {a.id: (as_utc(ordered[i + 1].ts) if i + 1 < len(ordered) else None) for i, a in enumerate(ordered)}
