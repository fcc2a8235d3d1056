"""The benchmarked metrics with no I/O: names, units, definitions, and the fixed period a snapshot covers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, NamedTuple, get_args

__all__ = [
    "COHORT_DAYS",
    "METRICS",
    "PERIOD_DAYS",
    "Metric",
    "MetricInfo",
    "Period",
    "info",
    "period_ending",
]

Metric = Literal["stickiness", "feature_adoption", "retention_4w", "nps", "guide_completion"]
METRICS: tuple[Metric, ...] = get_args(Metric)
PERIOD_DAYS = 30
"""A snapshot covers the 30 whole UTC days that end yesterday: the same period for every view of a day."""
COHORT_DAYS = 28
"""4-week retention follows the visitors first seen in a 28-day window whose 4th week has ended."""


class MetricInfo(NamedTuple):
    label: str
    unit: Literal["%", "points"]
    definition: str
    base: str
    """What the figure is a share of (its denominator): a tenant whose base is 0 has no figure."""


_INFO: dict[Metric, MetricInfo] = {
    "stickiness": MetricInfo(
        "Stickiness", "%",
        "Average daily DAU/MAU over the period: the mean number of visitors active each day, divided by the "
        "visitors active at any time in the period.",
        "visitors active in the period"),
    "feature_adoption": MetricInfo(
        "Feature adoption", "%",
        "The share of the tenant's visitors active in the period who used at least one tagged feature in it "
        "(no figure while the app has no feature defined).",
        "visitors active in the period"),
    "retention_4w": MetricInfo(
        "4-week retention", "%",
        "Of the visitors first seen in the 28 days before the period's last 4 weeks, the share active in their "
        "4th week (days 22 to 28 after their first day).",
        "visitors first seen in the cohort window"),
    "nps": MetricInfo(
        "NPS", "points",
        "Net Promoter Score of the answers given to any NPS survey in the period: % promoters (9-10) minus "
        "% detractors (0-6), each visitor's latest answer counting once.",
        "visitors who answered"),
    "guide_completion": MetricInfo(
        "Guide completion", "%",
        "Of the guides the tenant's visitors saw in the period (one per visitor and guide), the share they "
        "completed.",
        "guides seen by a visitor in the period"),
}


def info(metric: Metric) -> MetricInfo:
    return _INFO[metric]


class Period(NamedTuple):
    """The UTC days a snapshot covers (``start``..``end``, both included) and its retention cohort window."""

    start: date
    end: date
    cohort_start: date
    cohort_end: date
    """Visitors first seen from ``cohort_start`` to ``cohort_end``: the last of them had its 4th week end on ``end``."""


def period_ending(today: date) -> Period:
    """The period of a snapshot taken on ``today``: 30 whole days ending yesterday (today is incomplete)."""
    end = today - timedelta(days=1)
    cohort_end = end - timedelta(days=27)
    return Period(
        start=end - timedelta(days=PERIOD_DAYS - 1),
        end=end,
        cohort_start=cohort_end - timedelta(days=COHORT_DAYS - 1),
        cohort_end=cohort_end,
    )
