"""The lexicon's in-memory fold of a batch against a brute-force reference, on random batches (Hypothesis), and
the projection's writes: only what a batch teaches, remembered only once committed (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.support import make_app
from waymark.clock import as_utc
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.lexicon_models import LexiconEvent, LexiconProperty
from waymark.events.schemas import AnyEvent, PageEvent, TrackEvent
from waymark.lexicon.fold import fold, usable_name
from waymark.lexicon.projection import LAST_SEEN_RESOLUTION, Lexicon
from waymark.settings import Settings

T0 = datetime(2026, 11, 1, tzinfo=UTC)
NAMES = st.sampled_from(["Signup", "Invite", "Export"])
PROPS = st.sampled_from(["plan", "seats", "", "x" * 201, "a\u0007b", "ok"])


@st.composite
def batches(draw: st.DrawFn) -> list[AnyEvent]:
    out: list[AnyEvent] = []
    for i in range(draw(st.integers(0, 25))):
        ts = T0 + timedelta(minutes=draw(st.integers(0, 10_000)))
        if draw(st.booleans()):
            props = {p: 1 for p in draw(st.lists(PROPS, max_size=4))}
            out.append(TrackEvent(id=f"e{i}", ts=ts, visitor="v", name=draw(NAMES), props=props))
        else:
            out.append(PageEvent(id=f"e{i}", ts=ts, visitor="v", title="Home"))
    return out


@given(batches())
def test_fold_matches_a_brute_force_reference(batch: list[AnyEvent]) -> None:
    seen = fold(batch)
    tracks = [e for e in batch if isinstance(e, TrackEvent)]
    names = {e.name for e in tracks}
    assert seen.events == {n: [min(e.ts for e in tracks if e.name == n), max(e.ts for e in tracks if e.name == n)]
                           for n in names}
    pairs = {(e.name, p) for e in tracks for p in e.props if usable_name(p)}
    assert seen.properties == {
        (n, p): [min(e.ts for e in tracks if e.name == n and p in e.props),
                 max(e.ts for e in tracks if e.name == n and p in e.props)]
        for n, p in pairs
    }


def test_usable_names() -> None:
    assert usable_name("plan") and usable_name("x" * 200)
    assert not usable_name("") and not usable_name("x" * 201) and not usable_name("tab\there")


async def test_the_projection_writes_what_is_new_and_learns_only_on_commit(settings: Settings) -> None:
    app = await make_app(settings)
    projection = Lexicon()
    engine = create_engine(settings.database_url)
    maker = make_sessionmaker(engine)

    def sent(i: int, at: datetime, **props: int) -> TrackEvent:
        return TrackEvent(id=f"e{i}", ts=at, visitor="v", name="Signup", props=props)

    async def stored() -> tuple[datetime, datetime, list[str]]:
        async with maker() as session:
            row = await session.get(LexiconEvent, (app.id, "Signup"))
            assert row is not None
            names = (await session.scalars(select(LexiconProperty.name).where(
                LexiconProperty.app_id == app.id).order_by(LexiconProperty.name))).all()
            return as_utc(row.first_seen), as_utc(row.last_seen), list(names)

    try:
        async with maker() as session:  # written, then rolled back: nothing is remembered
            await projection.project(session, app.id, [sent(1, T0, plan=1)])
            await session.rollback()
        async with maker() as session:
            await projection.project(session, app.id, [sent(1, T0, plan=1)])
            await session.commit()
        assert await stored() == (T0, T0, ["plan"])
        later = T0 + LAST_SEEN_RESOLUTION
        async with maker() as session:  # within the resolution and no new property: no write at all
            await projection.project(session, app.id, [sent(2, later, plan=1)])
            assert not session.in_transaction()
            await session.commit()
        assert await stored() == (T0, T0, ["plan"])
        async with maker() as session:  # past it, or a new property, or an earlier event: written
            await projection.project(session, app.id, [sent(3, later + timedelta(seconds=1), plan=1),
                                                       sent(4, T0 - timedelta(days=1), seats=2)])
            await session.commit()
        assert await stored() == (T0 - timedelta(days=1), later + timedelta(seconds=1), ["plan", "seats"])
    finally:
        await engine.dispose()
