"""What each guide event counts for in the day rows, and how long a showing lasted (pure: no I/O).

A showing starts at a visitor's first ``guide_seen`` of a guide while none is open, and ends at
``guide_completed`` or ``guide_dismissed`` (timed) or ``guide_snoozed`` (not timed: the guide
comes back later and a new showing starts then). A walkthrough resumed on a later page keeps
its showing. Showings longer than :data:`MAX_TIMED` are left out of the time: the visitor
left and came back, they were not on the guide all along.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

__all__ = ["COUNTED", "FIELDS", "MAX_TIMED", "GuideFold", "Key"]

COUNTED = frozenset({
    "guide_seen", "guide_step_advanced", "guide_completed", "guide_dismissed", "guide_snoozed",
    "guide_anchor_missing",
})
"""The event types the figures read; survey answers are tallied elsewhere (their guide's end is still here)."""
MAX_TIMED = timedelta(hours=24)
FIELDS = ("seen", "top_step", "completed", "dismissed", "snoozed", "anchor_missing", "timed", "timed_ms")
"""The value columns of a day row, in the order of :attr:`GuideFold.rows` lists."""
_TOP = FIELDS.index("top_step")
_INDEX = {"guide_seen": 0, "guide_completed": 2, "guide_dismissed": 3, "guide_snoozed": 4,
          "guide_anchor_missing": 5}

Key = tuple[str, date, str, str]
"""(guide, day, tenant or ``""``, visitor)."""


def _empty() -> list[int]:
    return [0, -1, 0, 0, 0, 0, 0, 0]


class GuideFold:
    """Day-row increments and showing changes accumulated in memory, for one app."""

    __slots__ = ("ended", "rows", "runs")

    def __init__(self, runs: dict[tuple[str, str], datetime] | None = None) -> None:
        self.rows: dict[Key, list[int]] = {}
        self.runs: dict[tuple[str, str], datetime] = dict(runs or {})
        """Open showings by (guide, visitor): those known before, as changed by the events folded."""
        self.ended: set[tuple[str, str]] = set()
        """Showings that were open and are not any more (to delete, unless reopened: see :attr:`runs`)."""

    def event(self, kind: str, guide: str, day: date, tenant: str | None, visitor: str, step: int | None,
              ts: datetime) -> None:
        """Count one guide event; call in time order (``ts`` comparable with the runs' start times)."""
        if kind not in COUNTED:
            return
        key = (guide, day, tenant or "", visitor)
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = _empty()
        index = _INDEX.get(kind)
        if index is not None:
            row[index] += 1
        if kind in ("guide_seen", "guide_step_advanced"):
            row[_TOP] = max(row[_TOP], step or 0)
        run = (guide, visitor)
        if kind == "guide_seen":
            self.runs.setdefault(run, ts)
        elif kind in ("guide_completed", "guide_dismissed", "guide_snoozed"):
            started = self.runs.pop(run, None)
            if started is None:
                return
            self.ended.add(run)
            if kind != "guide_snoozed" and started <= ts and ts - started <= MAX_TIMED:
                row[6] += 1
                row[7] += (ts - started) // timedelta(milliseconds=1)
