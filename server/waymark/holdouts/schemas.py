"""Wire shapes of the lift report and of a visitor's holdouts in their export."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = ["HoldoutExport", "LiftArm", "LiftGoal", "LiftReport"]


class HoldoutExport(msgspec.Struct):
    """A guide the visitor was held out of (the control arm of its lift report)."""

    guide: str
    visitor: str
    tenant: str | None
    held_at: datetime


class LiftGoal(msgspec.Struct):
    kind: Literal["page", "feature", "event"]
    key: str
    """The page or feature definition id, or the track event name."""
    days: int


class LiftArm(msgspec.Struct):
    n: int
    """Visitors (or tenants) in the arm."""
    reached: int
    """Of them, those who reached the goal within its window."""
    rate: float | None
    """reached ÷ n; null for an empty arm."""


class LiftReport(msgspec.Struct):
    guide: str
    unit: Literal["visitor", "tenant"]
    goal: LiftGoal
    shown: LiftArm
    """Units who saw the guide; the window starts at their first view."""
    held_out: LiftArm
    """Units held out of it; the window starts when they were first held out."""
    difference: float | None
    """shown.rate − held_out.rate; null while an arm is empty."""
    ci95: list[float] | None
    """[low, high]: the 95% interval of the difference (two proportions); null while an arm is empty."""
