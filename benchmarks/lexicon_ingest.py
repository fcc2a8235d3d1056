"""What keeping the lexicon costs ingestion, in process: the same batches written with and without it, interleaved.

``benchmarks.ingestion`` measures the whole HTTP path, whose run-to-run noise on a shared machine
is larger than the difference sought; this writes the ingestion benchmark's batches (50 events,
a quarter of them track events with a property) through the group committer, alternating rounds
with every projection but the lexicon (and no blocked names) and with all of them (and a blocked
name to look up), on one SQLite file each. Throughput is counted per second of the process's CPU
time (every thread's, aiosqlite's included), which other load on the machine does not change; the
wall-clock rate is printed beside it. Run: ``.venv/bin/python -m benchmarks.lexicon_ingest [rounds]``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence

import msgspec

from benchmarks.ingestion import BATCH, make_app, sample_events
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.events.blocking import drop_blocked
from waymark.events.group_commit import GroupCommitter, Job
from waymark.events.pipeline import judge
from waymark.events.projections import Projection
from waymark.lexicon.projection import Lexicon
from waymark.upgrade.run import upgrade
from waymark.wiring import registered_projections

BATCHES_A_ROUND = 200


async def _round(url: str, app_id: str, projections: Sequence[Projection], blocked: frozenset[str], tag: str
                 ) -> tuple[float, float]:
    """(events per CPU second, events per wall-clock second) of one round."""
    engine = create_engine(url)
    committer = GroupCommitter(make_sessionmaker(engine), projections)
    batches = [sample_events(f"{tag}-{b}", BATCH) for b in range(BATCHES_A_ROUND)]
    raws = [[msgspec.json.encode(e) for e in batch] for batch in batches]
    started, cpu = time.perf_counter(), time.process_time()
    for raw in raws:
        judged = [(i, judge(i, r)) for i, r in enumerate(raw)]
        ready, counts = drop_blocked(judged, blocked)
        result = await committer.submit(Job(app_id=app_id, judged=ready, throttled=lambda _: True,
                                            snooze_days=lambda _: 1, blocked=counts))
        assert result.accepted == BATCH, result
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    await committer.stop()
    await engine.dispose()
    return BATCHES_A_ROUND * BATCH / used, BATCHES_A_ROUND * BATCH / elapsed


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with_lexicon = registered_projections()
    without = [p for p in with_lexicon if not isinstance(p, Lexicon)]
    rates: dict[str, list[float]] = {"without": [], "with": []}
    wall: dict[str, list[float]] = {"without": [], "with": []}
    with tempfile.TemporaryDirectory() as tmp:
        urls = {name: f"sqlite+aiosqlite:///{tmp}/{name}.db" for name in rates}
        apps = {}
        for name, url in urls.items():
            upgrade(url)
            apps[name] = asyncio.run(make_app(url))[0]
        for r in range(rounds):
            for name, projections, blocked in (("without", without, frozenset[str]()),
                                               ("with", with_lexicon, frozenset({"Never sent"}))):
                cpu, clock = asyncio.run(_round(urls[name], apps[name], projections, blocked, f"{name}{r}"))
                rates[name].append(cpu)
                wall[name].append(clock)
    print(f"group commit in process, SQLite, {BATCHES_A_ROUND} batches of {BATCH} events a round, median of {rounds}")
    median = {name: sorted(v)[rounds // 2] for name, v in rates.items()}
    median_wall = {name: sorted(v)[rounds // 2] for name, v in wall.items()}
    for name, label in (("without", "without the lexicon"), ("with", "with the lexicon")):
        print(f"  {label:<20}: {median[name]:>7,.0f} events per CPU second, {median_wall[name]:>7,.0f} events/s "
              "wall clock (rounds, CPU: " + ", ".join(f"{v:,.0f}" for v in rates[name]) + ")")
    print(f"  with / without      : {median['with'] / median['without']:.0%} (CPU), "
          f"{median_wall['with'] / median_wall['without']:.0%} (wall clock)")


if __name__ == "__main__":
    main()
