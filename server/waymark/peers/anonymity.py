"""The k rule, with no I/O: when a benchmark may be shown, and what it may show.

What keeps a peer's figure from being read or inferred:

1. **Fixed partitions.** A peer group is every tenant that shares one attribute (industry,
   plan, size band, or the whole app): no date range, segment or other filter can narrow it,
   so two views never differ by a handful of chosen tenants.
2. **One snapshot.** Every view reads the same stored snapshot, computed for a fixed period
   (the 30 whole UTC days ending yesterday) at most every few minutes; figures only move when
   the day turns or a group's membership changes, never between two views of one snapshot.
3. **k tenants or nothing.** A group is shown only when at least ``k`` of its tenants have a
   figure for the metric, the asking tenant included (tenants without data do not count).
   ``k`` is a per-app setting, 5 by default and never below 5: with 3 values, linear quartiles
   give all three back (p50 is the middle one, p25 and p75 the midpoints), and with 4 a tenant
   that knows its own figure solves the three others from p25, p50 and p75. From 5 on, the
   smallest and largest values are never recoverable, and the middle ones are only ever seen
   rounded and with no tenant attached.
4. **No extremes.** A percentile is published only when its interpolation spares the smallest
   and largest values (:func:`~waymark.peers.percentiles.spares_extremes`): p90 waits for 11
   peers, as below that it is mostly the leader's own figure. The minimum and maximum are never
   published.
5. **Rounding.** Peer-derived percentiles are rounded to whole percentage (or NPS) points, which
   blurs the single values they rest on; a tenant's own figure keeps one decimal.
6. **Opting out.** A tenant that opted out of collection is left out of every snapshot (its
   figures are never computed) and is shown why it has no benchmark.
7. **Own position only** for a tenant admin: their value, percentile rank and band, never the
   peers' percentiles (see :mod:`waymark.peers.services`).

What remains: a group's figures change when a tenant joins or leaves it (new metadata, opt-out)
between two snapshots of one day, and comparing them bounds the moved tenant's figure. Rules 3
to 5 keep that bound loose; nothing short of adding noise would close it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import msgspec

from waymark.peers.definitions import Metric, info
from waymark.peers.groups import PeerGroup
from waymark.peers.percentiles import PUBLISHED, percentile, percentile_rank, position, spares_extremes
from waymark.peers.schemas import Benchmark, Distribution, MemberFigures, Reason, Snapshot

__all__ = [
    "DEFAULT_K",
    "MAX_K",
    "MIN_K",
    "PeerIndex",
    "benchmark",
    "distribution",
    "group_values",
    "hidden_message",
]

MIN_K = 5
DEFAULT_K = 5
MAX_K = 1000

_KIND_WORDS: dict[PeerGroup, str] = {"all": "the app", "industry": "industry", "plan": "plan", "size": "size"}


def hidden_message(
    reason: Reason, metric: Metric, kind: PeerGroup, *, peers: int = 0, k: int = DEFAULT_K, own: bool = True
) -> str:
    """Why a benchmark is hidden, in words."""
    label = info(metric).label
    noun = label if label.isupper() else label.lower()
    article = "an" if noun[0] in "aeiou" or noun == "NPS" else "a"
    if reason == "opted_out":
        return ("This tenant opted out of data collection, so it neither contributes to benchmarks nor sees them. "
                "Benchmarks come back once collection is turned on again and a new period has data.")
    if reason == "no_peer_group":
        field = "size (size, employees or seats)" if kind == "size" else kind
        return f"This tenant has no {field} in its metadata, so it belongs to no {kind} peer group."
    if reason == "no_data":
        return f"This tenant has no {noun} figure for the period: it has no {info(metric).base}."
    where = "the app" if kind == "all" else f"this {_KIND_WORDS[kind]} group" if own else "this group"
    who = (f"no tenant of {where} has" if peers == 0 else
           f"only {peers} tenant{'s' if peers != 1 else ''} of {where} {'has' if peers == 1 else 'have'}")
    return (f"Hidden: {who} {article} {noun} figure, and benchmarks need at least {k} "
            f"{'(this tenant included) ' if own else ''}so that no tenant's own figure can be read from them.")


def group_values(members: Iterable[MemberFigures], metric: Metric, kind: PeerGroup, group: str) -> list[float]:
    """The figures of ``metric`` of the tenants in ``group``, ascending (tenants without one are not peers)."""
    values = [m.values.get(metric) for m in members if m.groups.get(kind) == group]
    return sorted(v for v in values if v is not None)


def _cuts(values: Sequence[float]) -> dict[int, float]:
    """The published percentiles of ascending ``values``, rounded; those that lean on an extreme left out."""
    return {q: float(round(percentile(values, q))) for q in PUBLISHED if spares_extremes(len(values), q)}


class PeerIndex:
    """A snapshot arranged for answering, built once per snapshot: each tenant, and each group's figures."""

    __slots__ = ("_groups", "_members", "_values", "snapshot")
    _members: dict[str, MemberFigures]
    _values: dict[tuple[str, str, str], list[float]]
    _groups: dict[str, list[str]]

    def __init__(self, snapshot: Snapshot, _shared: PeerIndex | None = None) -> None:
        self.snapshot = snapshot
        if _shared is not None:
            self._members, self._values, self._groups = _shared._members, _shared._values, _shared._groups
            return
        self._members = {m.tenant_id: m for m in snapshot.members}
        values: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        groups: dict[str, set[str]] = defaultdict(set)
        for m in snapshot.members:
            for kind, group in m.groups.items():
                if group is None:
                    continue
                groups[kind].add(group)
                for metric, value in m.values.items():
                    if value is not None:
                        values[(metric, kind, group)].append(value)
        for figures in values.values():
            figures.sort()
        self._values = dict(values)
        self._groups = {kind: sorted(found) for kind, found in groups.items()}

    def with_k(self, k: int) -> PeerIndex:
        """The same figures under another k (the setting changed since the snapshot was made)."""
        return self if k == self.snapshot.k else PeerIndex(msgspec.structs.replace(self.snapshot, k=k), self)

    def member(self, tenant_id: str) -> MemberFigures | None:
        return self._members.get(tenant_id)

    def values(self, metric: Metric, kind: PeerGroup, group: str) -> list[float]:
        """The group's figures of the metric, ascending (tenants without one are not peers)."""
        return self._values.get((metric, kind, group), [])

    def groups(self, kind: PeerGroup) -> list[str]:
        return self._groups.get(kind, [])


def benchmark(
    index: PeerIndex, tenant_id: str, metric: Metric, kind: PeerGroup, *, quartiles: bool
) -> Benchmark:
    """The tenant's benchmark from a snapshot; ``quartiles`` False gives its own position only (tenant admins)."""
    snapshot = index.snapshot
    base = Benchmark(available=False, metric=metric, peer_group=kind, k=snapshot.k,
                     period_start=snapshot.period_start, period_end=snapshot.period_end,
                     computed_at=snapshot.computed_at)

    def hidden(reason: Reason, peers: int | None = None, group: str | None = None) -> Benchmark:
        base.reason, base.group, base.peers = reason, group, peers
        base.message = hidden_message(reason, metric, kind, peers=peers or 0, k=snapshot.k)
        return base

    own = index.member(tenant_id)
    if own is None:
        return hidden("opted_out" if tenant_id in snapshot.opted_out else "no_data")
    group = own.groups.get(kind)
    if group is None:
        return hidden("no_peer_group")
    values = index.values(metric, kind, group)
    value = own.values.get(metric)
    if value is None:
        return hidden("no_data", len(values), group)
    if len(values) < snapshot.k:
        return hidden("too_few_peers", len(values), group)
    cuts = _cuts(values)
    base.available, base.group, base.peers = True, group, len(values)
    base.value = round(value, 1)
    base.percentile = round(percentile_rank(values, value))
    base.position = position(value, cuts)
    if quartiles:
        base.p25, base.p50, base.p75, base.p90 = (cuts.get(q) for q in PUBLISHED)
    return base


def distribution(index: PeerIndex, metric: Metric, kind: PeerGroup) -> list[Distribution]:
    """Every group of this kind for the product team: its percentiles and values, or the reason it is hidden."""
    snapshot = index.snapshot
    out: list[Distribution] = []
    for group in index.groups(kind):
        values = index.values(metric, kind, group)
        if len(values) < snapshot.k:
            out.append(Distribution(metric=metric, peer_group=kind, group=group, available=False, peers=len(values),
                                    reason="too_few_peers", message=hidden_message(
                                        "too_few_peers", metric, kind, peers=len(values), k=snapshot.k, own=False)))
            continue
        cuts = _cuts(values)
        out.append(Distribution(metric=metric, peer_group=kind, group=group, available=True, peers=len(values),
                                p25=cuts.get(25), p50=cuts.get(50), p75=cuts.get(75), p90=cuts.get(90),
                                values=[round(v, 1) for v in values]))
    return out
