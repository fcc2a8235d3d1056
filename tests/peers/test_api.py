"""GET /api/v1/reports/benchmarks on both databases: the k rule, opting out, unknown names, and the snapshot."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import AsyncTestClient

from tests.peers.helpers import active, benchmark, opt_out, refresh, tenant, worker
from tests.support import eventually_async, make_app
from waymark.peers.services import BenchmarkService
from waymark.settings import Settings


async def _retail(client: AsyncTestClient, public: str, count: int, first: int = 1) -> None:
    """Tenants r<first>… in retail; r<i> has an admin active yesterday and a visitor active on i days."""
    for i in range(first, first + count):
        await tenant(client, public, f"r{i}", industry="Retail", plan="pro", employees=20 * i)
        await active(client, public, f"r{i}", f"v{i}", list(range(1, i + 1)))


def stickiness(i: int) -> float:
    """Mean daily DAU / MAU of r<i>: (1 + i) visitor-days over 30 days and 2 visitors."""
    return round(100 * (1 + i) / (30 * 2), 1)


async def test_k_minus_one_peers_show_nothing_and_k_show_quartiles(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await _retail(client, app.public_key, 4)
    hidden = (await benchmark(client, app.secret_key, tenant="r2", metric="stickiness", peer_group="industry")).json()
    assert hidden == {
        "available": False, "metric": "stickiness", "peer_group": "industry", "reason": "too_few_peers",
        "message": hidden["message"], "group": "retail", "peers": 4, "k": 5,
        "period_start": hidden["period_start"], "period_end": hidden["period_end"],
        "computed_at": hidden["computed_at"],
    }
    assert "only 4 tenants" in hidden["message"]

    await _retail(client, app.public_key, 1, first=5)
    await refresh(settings, app.id)
    shown = (await benchmark(client, app.secret_key, tenant="r2", metric="stickiness", peer_group="industry")).json()
    values = sorted(stickiness(i) for i in range(1, 6))  # 3.3, 5.0, 6.7, 8.3, 10.0
    assert shown["available"] and shown["peers"] == 5 and shown["group"] == "retail"
    assert (shown["value"], shown["percentile"], shown["position"]) == (stickiness(2), 30, "at_p25")
    assert (shown["p25"], shown["p50"], shown["p75"]) == (round(values[1]), round(values[2]), round(values[3]))
    assert "p90" not in shown  # it would lean on the largest value below 11 peers


async def test_an_opted_out_tenant_neither_contributes_nor_sees(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await _retail(client, app.public_key, 5)
    before = (await benchmark(client, app.secret_key, tenant="r1", metric="stickiness", peer_group="plan")).json()
    assert before["available"] and before["peers"] == 5

    await opt_out(client, app.secret_key, "r5")  # no refresh asked: the snapshot must drop it at once
    after = (await benchmark(client, app.secret_key, tenant="r1", metric="stickiness", peer_group="plan")).json()
    assert not after["available"] and after["reason"] == "too_few_peers" and after["peers"] == 4
    own = (await benchmark(client, app.secret_key, tenant="r5", metric="stickiness", peer_group="plan")).json()
    assert own["available"] is False and own["reason"] == "opted_out" and "opted out" in own["message"]
    assert "value" not in own and "peers" not in own


async def test_size_bands_and_tenants_without_data(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await _retail(client, app.public_key, 5)  # employees 20, 40 (11-50), 60 … 100 (51-200)
    small = (await benchmark(client, app.secret_key, tenant="r1", metric="stickiness", peer_group="size")).json()
    assert (small["group"], small["peers"], small["reason"]) == ("11-50", 2, "too_few_peers")
    # no NPS survey was answered: nobody has a figure, so nobody is a peer
    nps = (await benchmark(client, app.secret_key, tenant="r1", metric="nps", peer_group="all")).json()
    assert (nps["reason"], nps["peers"]) == ("no_data", 0)
    everyone = (await benchmark(client, app.secret_key, tenant="r3", metric="stickiness")).json()
    assert everyone["peer_group"] == "all" and everyone["available"] and everyone["percentile"] == 50


async def test_unknown_names_are_400_and_an_unknown_tenant_404(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await _retail(client, app.public_key, 1)
    assert (await benchmark(client, app.secret_key, tenant="r1", metric="revenue")).status_code == 400
    assert (await benchmark(client, app.secret_key, tenant="r1", metric="nps", peer_group="city")).status_code == 400
    assert (await benchmark(client, app.secret_key, metric="nps")).status_code == 400
    missing = await benchmark(client, app.secret_key, tenant="nobody", metric="nps")
    assert missing.status_code == 404 and "nobody" in missing.json()["detail"]
    assert (await benchmark(client, app.public_key, tenant="r1", metric="nps")).status_code == 403
    assert (await client.get("/api/v1/reports/benchmarks", params={"tenant": "r1", "metric": "nps"})).status_code == 401


async def test_a_stale_snapshot_is_served_then_remade(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await _retail(client, app.public_key, 4)
    first = (await benchmark(client, app.secret_key, tenant="r1", metric="stickiness")).json()
    assert first["reason"] == "too_few_peers"
    await _retail(client, app.public_key, 1, first=5)
    # within ten minutes the stored snapshot is what every view reads
    again = (await benchmark(client, app.secret_key, tenant="r1", metric="stickiness")).json()
    assert again["computed_at"] == first["computed_at"] and again["peers"] == 4

    service: BenchmarkService = client.app.state.benchmarks
    service.max_age = timedelta(0)  # as if ten minutes had passed
    try:
        async def remade() -> bool:
            answer = (await benchmark(client, app.secret_key, tenant="r1", metric="stickiness")).json()
            return bool(answer["available"] and answer["peers"] == 5)

        assert await eventually_async(remade)
    finally:
        service.max_age = timedelta(minutes=10)

        async def idle() -> bool:
            return not service.busy()

        assert await eventually_async(idle)


async def test_one_worker_computes_while_another_holds_the_lease(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await _retail(client, app.public_key, 1)
    async with worker(settings) as one, worker(settings) as two:
        assert await one._take_lease(app.id)  # worker one is computing
        assert not await two.refresh(app.id, wait=False)
        await one._compute(app.id)
        assert await two.refresh(app.id, wait=False)  # the lease was released with the snapshot
