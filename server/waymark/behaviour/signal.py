"""Signal, the pure computation: which things done in a unit's first days go with reaching a later goal.

No I/O here. Days are counted from each unit's first day (0); a unit is a visitor or a tenant id. For each item
(``page:ID``, ``feature:ID``, ``event:NAME``, ``guide:ID:seen``) done in a unit's window (its days
``0 .. window_days - 1`` after first seen), the 2×2 table against reaching the goal (the goal done on days
``goal_from_day .. goal_to_day`` after first seen) and its phi coefficient. Correlation, not cause.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass

__all__ = ["SignalResult", "SignalRow", "SignalSettings", "compute_signal", "phi"]


def phi(a: int, b: int, c: int, d: int) -> float | None:
    """The phi coefficient of a 2×2 table ``[[a, b], [c, d]]`` (rows: did / did not; columns: reached / not).

    ``(ad − bc) / sqrt((a+b)(c+d)(a+c)(b+d))``; ``None`` when a margin is zero (the association is undefined).
    """
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return None
    return (a * d - b * c) / math.sqrt(margins)


@dataclass(frozen=True, slots=True)
class SignalSettings:
    window_days: int = 7
    goal_from_day: int = 21
    goal_to_day: int = 27
    min_support: int = 5
    """Items done by fewer units than this in their window are not listed (their phi says little)."""


@dataclass(frozen=True, slots=True)
class SignalRow:
    item: str
    did_reached: int
    did_not_reached: int
    not_did_reached: int
    not_did_not_reached: int
    share: float
    """Of the population, the share that did the item in its window."""
    phi: float | None


@dataclass(frozen=True, slots=True)
class SignalResult:
    population: int
    reached: int
    rows: list[SignalRow]
    """Ranked by phi, highest first (undefined phi last), then by item."""


def compute_signal(
    units: Collection[str],
    done: Iterable[tuple[str, int, str]],
    goal: Iterable[tuple[str, int]],
    settings: SignalSettings,
) -> SignalResult:
    """``units``: the population; ``done``: (unit, day after first seen, item) facts; ``goal``: (unit, day after
    first seen) facts of the goal. Facts of units outside the population, or outside the window or the goal's
    days, are ignored."""
    reached: set[str] = set()
    for unit, day in goal:
        if unit in units and settings.goal_from_day <= day <= settings.goal_to_day:
            reached.add(unit)
    doers: dict[str, set[str]] = {}
    for unit, day, item in done:
        if unit in units and 0 <= day < settings.window_days:
            doers.setdefault(item, set()).add(unit)
    population = len(units)
    total_reached = len(reached)
    rows: list[SignalRow] = []
    for item, units in doers.items():
        if len(units) < settings.min_support:
            continue
        a = len(units & reached)
        b = len(units) - a
        c = total_reached - a
        d = population - a - b - c
        rows.append(SignalRow(item, a, b, c, d, len(units) / population, phi(a, b, c, d)))
    rows.sort(key=lambda r: (r.phi is None, -(r.phi or 0.0), r.item))
    return SignalResult(population, total_reached, rows)
