"""A funnel's arithmetic, without I/O: which step each actor (a visitor, or a tenant) reached, and how long
each step took, from that actor's events in time order.

The rules, stated once (the tests' brute-force reference follows them literally):

- An actor's events are ordered by time, ties (the same second) by the order they were stored; a *chain*
  is a strictly increasing run of events ``e1 < e2 < … < ek`` where ``ei`` matches step ``i``, so one
  event satisfies one step only, and two steps in the same second count in that order.
- ``e1`` happens in the report's range; ``ek`` at most ``window`` seconds after ``e1`` (whole seconds:
  exactly at the window's end converts, one second past does not).
- No exclusion event lies strictly between two consecutive steps of the chain.
- An actor reaches the deepest step of any chain. Its times are those of the earliest such chain (the
  first start that gets that far, then each step as early as it can be), which is what "time from the
  previous step" reports: median and p90 by nearest rank over the actors that reached the step.

From a fixed start, taking the earliest event that matches the next step (within the window, with no
exclusion in between) never reaches less far than a later one before the same exclusion; the one other
choice worth trying is the exclusion event itself, when it matches the next step (not strictly between,
it lets the chain go on past it). So each start is tried in time order, with a binary search per step
and a second branch only at such an exclusion.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Attempt", "FunnelCounts", "Occurrence", "best_attempt", "count_funnel", "deepest_chain", "nearest_rank"]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One event of an actor, as the funnel sees it."""

    second: int
    """Its time in whole seconds (UTC epoch)."""
    steps: frozenset[int]
    """The indices (0-based) of the steps it matches."""
    excluded: bool = False
    """Whether it matches an exclusion step."""
    in_range: bool = True
    """Whether it falls in the report's range (only such an event can start the funnel)."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """How far one actor got: the seconds of each step reached (``len(seconds)`` is the depth)."""

    seconds: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FunnelCounts:
    """Per step: how many actors reached it, and the seconds each took from the previous step."""

    reached: tuple[int, ...]
    durations: tuple[tuple[int, ...], ...]
    """For step ``i`` (``i >= 1``), the sorted seconds from step ``i - 1``; empty for step 0."""


def best_attempt(events: Sequence[Occurrence], n_steps: int, window: int) -> Attempt:
    """The deepest chain of an actor's ``events`` (already in order), the earliest of the deepest."""
    positions: list[list[int]] = [[] for _ in range(n_steps)]
    exclusions: list[int] = []
    for index, event in enumerate(events):
        for step in event.steps:
            if 0 <= step < n_steps:
                positions[step].append(index)
        if event.excluded:
            exclusions.append(index)
    positions[0] = [i for i in positions[0] if events[i].in_range]
    return deepest_chain([e.second for e in events].__getitem__, positions, exclusions, window)


def deepest_chain(second: Callable[[int], int], positions: Sequence[Sequence[int]], exclusions: Sequence[int],
                  window: int) -> Attempt:
    """:func:`best_attempt` over an actor's events already taken apart, each event named by an integer that
    orders them (its index in time order, or a step key): per step the increasing names of the events
    matching it (step 0: only those that may start, in the range), the increasing names of the exclusion
    events, and ``second`` giving a name's time. The funnel builds these from its step keys directly."""
    best: tuple[int, ...] = ()
    n_steps = len(positions)
    for start in positions[0]:
        found = _deepest_from([start], second, positions, exclusions, second(start) + window)
        if len(found) > len(best):
            best = tuple(second(i) for i in found)
        if len(best) == n_steps or len(best) >= _reachable(start, positions):
            break  # no later start gets further
    return Attempt(best)


def _deepest_from(chain: list[int], second: Callable[[int], int], positions: Sequence[Sequence[int]],
                  exclusions: Sequence[int], deadline: int) -> list[int]:
    """The deepest chain that continues ``chain`` (event names), the earliest of the deepest.

    Past the chain's last event, the first exclusion event ends the stretch the next step may come from,
    and may be that step itself (it is not strictly between). Two choices are enough: the earliest match up
    to that exclusion (a later one before it only narrows what follows), and the exclusion event itself
    when it matches (later, but the stretch after it reaches further). With one choice, the chain simply
    goes on (a loop, not a call per step: most steps have one).
    """
    while len(chain) < len(positions):
        last = chain[-1]
        options = positions[len(chain)]
        at = bisect_right(options, last)
        if at == len(options):
            return chain
        earliest = options[at]
        following = bisect_right(exclusions, last)
        fence = exclusions[following] if following < len(exclusions) else None
        if fence is not None and earliest < fence and _holds(options, fence):
            return _either(chain, (earliest, fence), second, positions, exclusions, deadline)
        if (fence is not None and earliest > fence) or second(earliest) > deadline:
            return chain
        chain = [*chain, earliest]
    return chain


def _either(chain: list[int], candidates: tuple[int, int], second: Callable[[int], int],
            positions: Sequence[Sequence[int]], exclusions: Sequence[int], deadline: int) -> list[int]:
    """The deeper of the chains through each candidate (the earlier one on a tie)."""
    best = chain
    for candidate in candidates:
        if second(candidate) > deadline:
            break  # the second candidate is no earlier
        found = _deepest_from([*chain, candidate], second, positions, exclusions, deadline)
        if len(found) > len(best):
            best = found
            if len(best) == len(positions):
                break
    return best


def _holds(options: Sequence[int], index: int) -> bool:
    at = bisect_left(options, index)
    return at < len(options) and options[at] == index


def _reachable(start: int, positions: Sequence[Sequence[int]]) -> int:
    """How many steps a chain from ``start``, or from any later start, could reach at most (ignoring the
    window and the exclusions): the earliest match of each step in turn, until a step has none left."""
    at = start
    for step in range(1, len(positions)):
        options = positions[step]
        following = bisect_right(options, at)
        if following == len(options):
            return step
        at = options[following]
    return len(positions)


def count_funnel(attempts: Iterable[Attempt], n_steps: int) -> FunnelCounts:
    """Sum the actors' attempts into per-step counts and per-step durations."""
    reached = [0] * n_steps
    durations: list[list[int]] = [[] for _ in range(n_steps)]
    for attempt in attempts:
        seconds = attempt.seconds
        for step in range(len(seconds)):
            reached[step] += 1
            if step:
                durations[step].append(seconds[step] - seconds[step - 1])
    return FunnelCounts(tuple(reached), tuple(tuple(sorted(d)) for d in durations))


def nearest_rank(sorted_values: Sequence[int], fraction: float) -> int | None:
    """The ``fraction`` percentile by nearest rank (the smallest value with at least that share at or below it)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]
