"""Wire shapes of pages, features, untagged clicks and the usage report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from waymark.analytics.selectors import MAX_SELECTOR_LENGTH
from waymark.guides.schemas import SLUG_PATTERN, PageRule

__all__ = [
    "DayUsage",
    "EventUsage",
    "Feature",
    "FeatureIn",
    "FeatureUsage",
    "GuideUsage",
    "Page",
    "PageIn",
    "PageUsage",
    "UntaggedClick",
    "UsageReport",
    "VisitorUsage",
]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Selector = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SELECTOR_LENGTH)]
RuleId = Annotated[
    str,
    msgspec.Meta(pattern=SLUG_PATTERN, description="a slug: lowercase letters, digits and '-', at most 64 characters"),
]


class PageIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A page definition as sent by people (REST body, or one entry of a definitions file)."""

    name: Name
    rule: str | PageRule
    """A path glob (``/invoices/*``) or ``{path, host, query}``, matched as in guide targeting."""


class Page(msgspec.Struct, kw_only=True):
    id: str
    name: str
    rule: PageRule
    updated_at: datetime


class FeatureIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A feature definition: clicks on elements the selector matches (on the given page only, if any)."""

    name: Name
    selector: Selector
    """CSS subset: tag, ``#id``, ``.class``, ``[attr]``, ``[attr=value]``, descendant and ``>``, comma lists."""
    page: str | PageRule | None = None


class Feature(msgspec.Struct, kw_only=True):
    id: str
    name: str
    selector: str
    page: PageRule | None
    updated_at: datetime


class UntaggedClick(msgspec.Struct, kw_only=True):
    """An element clicked often that no feature matches yet."""

    tag: str
    id: str
    text: str
    path: str
    classes: list[str]
    attrs: dict[str, str]
    clicks: int
    """Clicks not matched by any feature in the window."""
    last_clicked: datetime
    example_url: str | None
    suggested_selector: str
    """A selector that matches this element (its id when it has one)."""


class PageUsage(msgspec.Struct, kw_only=True):
    id: str
    name: str
    views: int
    visitors: int
    ms: int
    """Visible time on the page, summed over visitors."""


class FeatureUsage(msgspec.Struct, kw_only=True):
    id: str
    name: str
    clicks: int
    visitors: int


class EventUsage(msgspec.Struct, kw_only=True):
    name: str
    count: int
    visitors: int


class GuideUsage(msgspec.Struct, kw_only=True):
    id: str
    seen: int
    visitors: int


class VisitorUsage(msgspec.Struct, kw_only=True):
    visitor: str
    days_active: int
    events: int


class DayUsage(msgspec.Struct, kw_only=True):
    day: date
    active_visitors: int
    events: int


class UsageReport(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    """Adoption over a range of UTC days, read from the daily roll-up only."""

    tenant: str | None
    """``None``: every tenant of the app."""
    from_: date
    to: date
    active_visitors: int
    """Visitors with at least one event in the range."""
    pages: list[PageUsage]
    features: list[FeatureUsage]
    events: list[EventUsage]
    guides: list[GuideUsage]
    visitors: list[VisitorUsage]
    """Days active per visitor, most active first."""
    days: list[DayUsage]
    """Active visitors per day, every day of the range."""
