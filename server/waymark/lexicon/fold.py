"""What one batch of stored events teaches the lexicon, worked out in memory (pure: no I/O).

One entry per track event name and one per (name, property name), each with the earliest and
latest event time of the batch, so the projection writes one row per entry, never one per event.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from waymark.clock import as_utc
from waymark.events.schemas import AnyEvent, TrackEvent
from waymark.wire import bad_characters

__all__ = ["MAX_NAME", "LexiconFold", "Seen", "fold", "usable_name"]

MAX_NAME = 200
"""The longest event or property name the lexicon keeps (a track event's name is bounded so already)."""

Seen = list[datetime]
"""[first, last]."""
K = TypeVar("K", bound=Hashable)


def usable_name(name: str) -> bool:
    """A property name the lexicon can keep: one non-empty line of at most :data:`MAX_NAME` characters."""
    return 0 < len(name) <= MAX_NAME and bad_characters(name) is None


@dataclass(slots=True)
class LexiconFold:
    """Per event name, and per (event name, property name): [first, last] event time in the batch."""

    events: dict[str, Seen] = field(default_factory=dict)
    properties: dict[tuple[str, str], Seen] = field(default_factory=dict)


def _see(seen: dict[K, Seen], key: K, moment: datetime) -> None:
    found = seen.get(key)
    if found is None:
        seen[key] = [moment, moment]
    elif moment < found[0]:
        found[0] = moment
    elif moment > found[1]:
        found[1] = moment


def fold(stored: Iterable[AnyEvent]) -> LexiconFold:
    """The names and property names of the track events in ``stored``, each with its first and last time.

    Property names that cannot be kept (empty, too long, with control characters) are left out:
    they stay in the event itself, the dictionary just does not list them.
    """
    out = LexiconFold()
    for ev in stored:
        if not isinstance(ev, TrackEvent):
            continue
        moment = as_utc(ev.ts)
        _see(out.events, ev.name, moment)
        for prop in ev.props:
            if usable_name(prop):
                _see(out.properties, (ev.name, prop), moment)
    return out
