"""The k rule on snapshots built by hand: nothing below k, quartiles at k, p90 from 11, own position for admins."""

from __future__ import annotations

from datetime import UTC, date, datetime

from waymark.peers.anonymity import PeerIndex, benchmark, distribution, group_values
from waymark.peers.schemas import MemberFigures, Snapshot


def member(tenant: str, stickiness: float | None, industry: str | None = "retail") -> MemberFigures:
    return MemberFigures(tenant_id=tenant, groups={"all": "all", "industry": industry, "plan": None, "size": None},
                         values={"stickiness": stickiness}, bases={"stickiness": 10})


def snapshot(*members: MemberFigures, k: int = 5, opted_out: frozenset[str] = frozenset()) -> PeerIndex:
    return PeerIndex(Snapshot(app_id="a", computed_at=datetime(2026, 11, 30, tzinfo=UTC),
                              period_start=date(2026, 10, 31), period_end=date(2026, 11, 29), k=k, members=members,
                              opted_out=opted_out))


FIVE = [member("t1", 15.0), member("t2", 20.0), member("t3", 35.0), member("t4", 40.0), member("t5", 50.0)]


def test_k_minus_one_peers_show_nothing() -> None:
    answer = benchmark(snapshot(*FIVE[:4]), "t3", "stickiness", "industry", quartiles=True)
    assert not answer.available and answer.reason == "too_few_peers" and answer.peers == 4
    assert (answer.value, answer.percentile, answer.position, answer.p25, answer.p50, answer.p75, answer.p90) == (
        None, None, None, None, None, None, None)
    assert "only 4 tenants" in (answer.message or "") and "at least 5" in (answer.message or "")


def test_k_peers_show_quartiles_but_not_p90() -> None:
    answer = benchmark(snapshot(*FIVE), "t3", "stickiness", "industry", quartiles=True)
    assert answer.available and answer.peers == 5 and answer.group == "retail"
    assert (answer.value, answer.percentile, answer.position) == (35.0, 50, "at_p50")
    assert (answer.p25, answer.p50, answer.p75, answer.p90) == (20.0, 35.0, 40.0, None)


def test_p90_from_eleven_peers_and_percentiles_rounded() -> None:
    members = [member(f"t{i}", i + 0.3) for i in range(1, 12)]  # 1.3 … 11.3
    answer = benchmark(snapshot(*members), "t11", "stickiness", "all", quartiles=True)
    assert (answer.p25, answer.p50, answer.p75, answer.p90) == (4.0, 6.0, 9.0, 10.0)  # 3.8, 6.3, 8.8, 10.3
    assert (answer.value, answer.percentile, answer.position) == (11.3, 95, "above_p90")


def test_a_larger_k_hides_a_group_of_five() -> None:
    assert benchmark(snapshot(*FIVE, k=6), "t1", "stickiness", "industry", quartiles=True).reason == "too_few_peers"
    raised = snapshot(*FIVE).with_k(6)
    assert benchmark(raised, "t1", "stickiness", "industry", quartiles=True).reason == "too_few_peers"
    assert benchmark(raised.with_k(5), "t1", "stickiness", "industry", quartiles=True).available


def test_tenant_admins_get_their_own_position_only() -> None:
    answer = benchmark(snapshot(*FIVE), "t2", "stickiness", "industry", quartiles=False)
    assert answer.available and (answer.value, answer.percentile, answer.position) == (20.0, 30, "at_p25")
    assert (answer.p25, answer.p50, answer.p75, answer.p90) == (None, None, None, None)


def test_tenants_without_data_are_not_peers() -> None:
    members = [*FIVE[:4], member("t5", None)]
    assert group_values(members, "stickiness", "industry", "retail") == [15.0, 20.0, 35.0, 40.0]
    assert benchmark(snapshot(*members), "t1", "stickiness", "industry", quartiles=True).reason == "too_few_peers"
    nobody = benchmark(snapshot(member("x", None)), "x", "nps", "all", quartiles=True)
    assert nobody.reason == "no_data" and nobody.message == (
        "This tenant has no NPS figure for the period: it has no visitors who answered.")
    none_yet = benchmark(snapshot(member("x", 1.0)), "x", "stickiness", "all", quartiles=True)
    assert none_yet.message is not None and none_yet.message.startswith(
        "Hidden: only 1 tenant of the app has a stickiness figure")
    no_data = benchmark(snapshot(*members), "t5", "stickiness", "industry", quartiles=True)
    assert not no_data.available and no_data.reason == "no_data" and no_data.value is None


def test_other_groups_do_not_count_and_a_tenant_without_the_attribute_has_none() -> None:
    members = [*FIVE[:4], member("x", 99.0, industry="health"), member("y", 1.0, industry=None)]
    assert benchmark(snapshot(*members), "t1", "stickiness", "industry", quartiles=True).reason == "too_few_peers"
    assert benchmark(snapshot(*members), "y", "stickiness", "industry", quartiles=True).reason == "no_peer_group"
    everyone = benchmark(snapshot(*members), "y", "stickiness", "all", quartiles=True)
    assert everyone.available and everyone.peers == 6


def test_an_opted_out_tenant_sees_why() -> None:
    answer = benchmark(snapshot(*FIVE, opted_out=frozenset({"gone"})), "gone", "stickiness", "all", quartiles=True)
    assert not answer.available and answer.reason == "opted_out" and "opted out" in (answer.message or "")


def test_the_product_teams_distribution_hides_small_groups() -> None:
    members = [*FIVE, member("x", 99.0, industry="health")]
    groups = {d.group: d for d in distribution(snapshot(*members), "stickiness", "industry")}
    assert groups["retail"].available and groups["retail"].values == [15.0, 20.0, 35.0, 40.0, 50.0]
    assert (groups["retail"].p25, groups["retail"].p50, groups["retail"].p75) == (20.0, 35.0, 40.0)
    health = groups["health"]
    assert not health.available and health.reason == "too_few_peers" and health.values == [] and health.peers == 1
    nps = distribution(snapshot(*members), "nps", "industry")[0]
    assert (nps.peers, nps.message) == (0, "Hidden: no tenant of this group has an NPS figure, and benchmarks need "
                                           "at least 5 so that no tenant's own figure can be read from them.")
