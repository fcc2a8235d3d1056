"""The projections every ingest feeds, in one list: the only place that names them.

Ingestion (:mod:`waymark.events`) knows the :class:`~waymark.events.projections.Projection`
protocol and nothing of reports; ``create_app`` and the demo's seeding take their list from here.
"""

from __future__ import annotations

from waymark.analytics.rollups import DailyRollups
from waymark.events.projections import Projection
from waymark.surveys.projection import SurveyTallies

__all__ = ["registered_projections"]


def registered_projections() -> list[Projection]:
    """A fresh list of the projections, in the order they run inside the ingest transaction."""
    return [DailyRollups(), SurveyTallies()]
