"""A pause of Python's cyclic garbage collector while a report makes hundreds of thousands of small tuples.

CPython starts a collection every few hundred new container objects, and the older generations' passes
walk every object still alive: making a long list of tuples sets off pass after pass over a growing heap,
which took half the time of a funnel or of paths over a month of steps. Those tuples hold no cycles
(reference counting frees them), so nothing is kept longer by collecting after the report instead.

Pauses nest and overlap (two reports awaiting their queries on one event loop): the collector resumes
when the last one ends, and only if it was running before the first began.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_held = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block (reference counting still frees everything without cycles)."""
    global _held, _resume
    if not _held:
        _resume = gc.isenabled()
        gc.disable()
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _resume:
            gc.enable()
