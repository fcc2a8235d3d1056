"""From validated guide files to publishable items (shared by the CLI, REST and the demo seed)."""

from __future__ import annotations

import msgspec

from waymark.guides.loader import LoadedGuide
from waymark.guides.services import PublishItem

__all__ = ["items_from_loaded"]


def items_from_loaded(loaded: list[LoadedGuide]) -> list[PublishItem]:
    return [
        PublishItem(
            id=g.guide.id, name=g.guide.name, kind=g.guide.kind,
            definition=msgspec.to_builtins(g.guide), source=g.file,
        )
        for g in loaded
    ]
