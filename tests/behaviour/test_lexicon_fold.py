"""The lexicon's in-memory fold of a batch against a brute-force reference, on random batches (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from waymark.events.schemas import AnyEvent, PageEvent, TrackEvent
from waymark.lexicon.fold import fold, usable_name

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
