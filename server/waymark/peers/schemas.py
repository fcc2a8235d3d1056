"""Wire shapes of benchmarks: one tenant's position among its peers, and a peer group's whole distribution."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

from waymark.peers.definitions import Metric
from waymark.peers.groups import PeerGroup
from waymark.peers.percentiles import Position

__all__ = ["Benchmark", "Distribution", "MemberFigures", "Reason", "Snapshot"]

Reason = Literal["opted_out", "no_peer_group", "no_data", "too_few_peers"]
"""Why a benchmark is hidden: the tenant opted out of collection; it has no value for the peer group's
attribute; it has no figure for the metric in the period; its peer group has fewer than k tenants with one."""


class MemberFigures(msgspec.Struct, kw_only=True, frozen=True):
    """One tenant in a snapshot: its peer groups and its figure (None: no data) per metric."""

    tenant_id: str
    groups: dict[str, str | None]
    values: dict[str, float | None]
    bases: dict[str, int]


class Snapshot(msgspec.Struct, kw_only=True, frozen=True):
    """Every contributing tenant's figures for one period, computed at one moment (opted-out tenants left out)."""

    app_id: str
    computed_at: datetime
    period_start: date
    period_end: date
    k: int
    members: tuple[MemberFigures, ...]
    opted_out: frozenset[str] = frozenset()
    """Tenants that had opted out when it was computed: they are in no member list."""


class Benchmark(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A tenant's figure placed among its peer group; without ``available`` only the reason is given."""

    available: bool
    metric: Metric
    peer_group: PeerGroup
    reason: Reason | None = None
    """Why it is hidden (``available`` false)."""
    message: str | None = None
    """The reason in words, for people."""
    group: str | None = None
    """The tenant's group of that kind (``fintech``, ``pro``, ``51-200``, ``all``)."""
    peers: int | None = None
    """Tenants of the group with a figure for the metric, this one included (hidden below ``k``)."""
    k: int | None = None
    value: float | None = None
    """The tenant's own figure: a percentage (0-100), or NPS points (-100 to 100)."""
    percentile: int | None = None
    """The tenant's percentile rank in its group: 100 × (peers below + half the ties, itself included) / peers."""
    position: Position | None = None
    """Where the value falls among the percentiles below."""
    p25: float | None = None
    p50: float | None = None
    p75: float | None = None
    p90: float | None = None
    """Left out while the group has fewer than 11 peers: it would lean on the largest value."""
    period_start: date | None = None
    period_end: date | None = None
    computed_at: datetime | None = None


class Distribution(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One peer group's figures for one metric, for the product team; empty with a reason below ``k``."""

    metric: Metric
    peer_group: PeerGroup
    group: str
    available: bool
    peers: int
    reason: Reason | None = None
    message: str | None = None
    p25: float | None = None
    p50: float | None = None
    p75: float | None = None
    p90: float | None = None
    values: list[float] = msgspec.field(default_factory=list)
    """Every peer's figure, ascending, with no tenant named (the product team's view only)."""
