"""Paths' arithmetic against a brute-force reference (Hypothesis), the Sankey layout's invariants, and cases by hand."""

from __future__ import annotations

from itertools import groupby, pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.behaviour.path_math import EXIT, SESSION_GAP, START, PathCount, sankey, sessions, top_paths

Visit = list[tuple[int, str]]


def reference(visitors: dict[str, Visit], length: int, from_step: str | None, to_step: str | None
              ) -> dict[tuple[str, ...], int]:
    """Visitors per path: sessions cut where the gap exceeds 30 minutes, repeats merged by groupby, and every
    window of the session (padded with START before and EXIT after) tried against the rule."""
    taken: dict[tuple[str, ...], set[str]] = {}
    for visitor, steps in visitors.items():
        cuts = [0] + [i for i in range(1, len(steps)) if steps[i][0] - steps[i - 1][0] > SESSION_GAP] + [len(steps)]
        for a, b in pairwise(cuts):
            session = [key for key, _ in groupby(step for _, step in steps[a:b])]
            if not session:
                continue
            padded = [START] * (length - 1) + session + [EXIT] * (length - 1)
            found: set[tuple[str, ...]] = set()
            for i in range(len(padded)):
                window = padded[i:i + length]
                if len(window) < length:
                    continue
                real = [s for s in window if s not in (START, EXIT)]
                if not real:
                    continue
                if from_step is not None and window[0] == from_step:
                    path = tuple(window[:window.index(EXIT) + 1] if EXIT in window else window)
                    found.add(path)
                if to_step == EXIT and window[-1] == EXIT and window[-2] not in (EXIT,) and window[0] != START:
                    found.add(tuple(window))
                if to_step == EXIT and window[-1] == EXIT and window[-2] != EXIT and START in window:
                    found.add(tuple(s for s in window if s != START))
                if to_step not in (None, EXIT) and window[-1] == to_step:
                    path = tuple(window[len(window) - 1 - window[::-1].index(START):] if START in window else window)
                    found.add(path)
            for path in found:
                taken.setdefault(path, set()).add(visitor)
    return {path: len(who) for path, who in taken.items()}


steps = st.sampled_from(["page:a", "page:b", "feature:c", "event:d"])
visit = st.lists(st.tuples(st.sampled_from([0, 60, 1800, 1801, 4000]), steps), max_size=10).map(
    lambda pairs: _timeline(pairs))


def _timeline(pairs: list[tuple[int, str]]) -> Visit:
    """Gaps drawn from a few sizes (30 minutes exactly, and one second past) turned into times."""
    now, out = 0, []
    for gap, step in pairs:
        now += gap
        out.append((now, step))
    return out


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["v1", "v2", "v3", "v4"]), visit, max_size=4), st.integers(3, 5),
       st.sampled_from([("from", "page:a"), ("to", "page:b"), ("to", EXIT), ("from", "event:d")]))
def test_top_paths_match_the_reference(visitors: dict[str, Visit], length: int, which: tuple[str, str]) -> None:
    from_step = which[1] if which[0] == "from" else None
    to_step = which[1] if which[0] == "to" else None
    got = top_paths({v: sessions(s) for v, s in visitors.items()}, length, from_step, to_step, top=1000)
    assert {p.steps: p.visitors for p in got} == reference(visitors, length, from_step, to_step)
    assert [(-p.visitors, p.steps) for p in got] == sorted((-p.visitors, p.steps) for p in got)


def test_sessions_cut_after_thirty_minutes_idle_and_collapse_repeats() -> None:
    timeline = [(0, "page:a"), (10, "page:a"), (20, "page:b"), (20 + SESSION_GAP, "page:b"),
                (21 + 2 * SESSION_GAP, "page:b"), (30 + 2 * SESSION_GAP, "page:a")]
    assert sessions(timeline) == [["page:a", "page:b"], ["page:b", "page:a"]]


def test_paths_by_hand() -> None:
    visits = {"v1": [["home", "billing", "home", "export"]], "v2": [["home", "billing", "home"]],
              "v3": [["billing"]]}
    assert top_paths(visits, 3, "home", None, 10) == [
        PathCount(("home", "billing", "home"), 2), PathCount(("home", EXIT), 1), PathCount(("home", "export", EXIT), 1)]
    assert top_paths(visits, 3, None, EXIT, 2) == [PathCount(("billing", EXIT), 1),
                                                   PathCount(("billing", "home", EXIT), 1)]
    assert top_paths(visits, 3, None, "billing", 10) == [PathCount((START, "home", "billing"), 2),
                                                         PathCount((START, "billing"), 1)]


def test_sankey_bands_fit_their_nodes() -> None:
    paths = [PathCount(("home", "billing", EXIT), 30), PathCount(("home", "export", EXIT), 10),
             PathCount(("home", "billing", "export"), 5)]
    layout = sankey(paths)
    nodes = {(n.column, n.label): n for n in layout.nodes}
    assert nodes[(0, "home")].visitors == 45
    assert nodes[(1, "billing")].visitors == 35 and nodes[(2, EXIT)].visitors == 40
    assert len(layout.links) == 5 and sum(link.visitors for link in layout.links if link.source == "home") == 45
    assert all(n.y >= 0 and n.y + n.height <= layout.height + 0.5 for n in layout.nodes)
    assert all(link.d.startswith("M") and link.d.endswith("Z") for link in layout.links)
    assert sankey([]).nodes == ()
