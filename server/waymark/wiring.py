"""What every ingest and every push feeds, in one place: the only module that names them.

Ingestion (:mod:`waymark.events`) knows the :class:`~waymark.events.projections.Projection`
protocol and nothing of reports; publishing (:mod:`waymark.guides.services`) knows the
:class:`~waymark.guides.services.PublishHook` protocol and nothing of policies. ``create_app``,
the command line and the demo's seeding take their lists from here.
"""

from __future__ import annotations

from waymark.analytics.rollups import DailyRollups
from waymark.analytics.steps import StepProjection
from waymark.behaviour.cohorts import CohortReferences
from waymark.events.projections import Projection
from waymark.guides.services import PublishHook
from waymark.guidestats.projection import GuideStats
from waymark.lexicon.projection import Lexicon
from waymark.policies.publishing import PolicyVersions
from waymark.surveys.projection import SurveyTallies

__all__ = ["publish_hooks", "registered_projections"]


def registered_projections() -> list[Projection]:
    """A fresh list of the projections, in the order they run inside the ingest transaction."""
    return [DailyRollups(), StepProjection(), SurveyTallies(), GuideStats(), Lexicon()]


def publish_hooks() -> list[PublishHook]:
    """What runs before guides are published, in the push's transaction (policy versions are recorded,
    cohorts a segment names must exist)."""
    return [PolicyVersions(), CohortReferences()]
