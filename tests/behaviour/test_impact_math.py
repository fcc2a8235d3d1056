"""Impact's pure computation against a brute-force reference on random facts (Hypothesis): the reference walks
the raw (unit, day, count) facts once per unit and window, with the windows written out by hand."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.behaviour.impact import compute_impact, lower_median


def test_the_lower_median() -> None:
    assert lower_median([]) is None
    assert lower_median([5]) == 5
    assert lower_median([9, 3]) == 3
    assert lower_median([4, 1, 7]) == 4
    assert lower_median([8, 2, 6, 4]) == 4


def _reference(adoption: dict[str, int], active: set[str], facts: list[tuple[str, int, int]], days: int,
               last: int) -> dict[str, object]:
    def total(unit: str, lo: int, hi: int) -> tuple[int, int]:
        observed = [d for d in range(lo, hi + 1) if d <= last]
        return sum(c for u, d, c in facts if u == unit and d in observed), len(observed)

    def rates(zero_of: dict[str, int]) -> tuple[float | None, float | None]:
        out: list[float | None] = []
        for lo, hi in ((-days, -1), (1, days)):
            parts = [total(u, z + lo, z + hi) for u, z in zero_of.items()]
            exposure = sum(e for _, e in parts)
            out.append(sum(t for t, _ in parts) / exposure if exposure else None)
        return out[0], out[1]

    ordered = sorted(adoption.values())
    anchor = ordered[(len(ordered) - 1) // 2] if ordered else None
    non = {u: anchor for u in active - adoption.keys()} if anchor is not None else {}
    a_before, a_after = rates(adoption)
    n_before, n_after = rates(non)  # type: ignore[arg-type]  # anchor is set whenever non is not empty

    def change(b: float | None, a: float | None) -> float | None:
        return None if a is None or b is None else a - b

    a_change, n_change = change(a_before, a_after), change(n_before, n_after)
    by_day = []
    for r in range(-days, days + 1):
        seen = [u for u, z in adoption.items() if z + r <= last]
        by_day.append(sum(c for u, d, c in facts if u in seen and d == adoption[u] + r) / len(seen) if seen else None)
    return {"adopters": (len(adoption), a_before, a_after, a_change),
            "non": (len(active - adoption.keys()), n_before, n_after, n_change),
            "did": change(n_change, a_change), "by_day": by_day}


def _close(a: object, b: object) -> bool:
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if a is None or b is None:
        return a is b
    assert isinstance(a, int | float) and isinstance(b, int | float)
    return abs(a - b) < 1e-9


_units = st.sampled_from([f"u{i}" for i in range(10)])


@settings(max_examples=300, deadline=None)
@given(
    adoption=st.dictionaries(_units, st.integers(10, 30), max_size=6),
    others=st.sets(_units, max_size=10),
    facts=st.dictionaries(st.tuples(_units, st.integers(0, 45)), st.integers(1, 5), max_size=80),
    days=st.integers(1, 6),
    last=st.integers(15, 45),
)
def test_matches_a_brute_force_reference(adoption: dict[str, int], others: set[str],
                                         facts: dict[tuple[str, int], int], days: int, last: int) -> None:
    active = others | adoption.keys()
    # what the database sums: the metric per relative day, of days that have come (up to ``last``)
    anchor = lower_median(adoption.values())
    never = active - adoption.keys()
    adopter_sums: dict[int, int] = {}
    non_sums: dict[int, int] = {}
    for (unit, day), count in facts.items():
        zero = adoption.get(unit, anchor if unit in never else None)
        if zero is None or day > last or abs(day - zero) > days:
            continue
        sums = adopter_sums if unit in adoption else non_sums
        sums[day - zero] = sums.get(day - zero, 0) + count
    result = compute_impact(adoption, adopter_sums, len(never), non_sums, days, last)
    want = _reference(adoption, active, [(u, d, c) for (u, d), c in facts.items()], days, last)
    got_adopters = (result.adopters.units, result.adopters.before, result.adopters.after, result.adopters.change)
    got_non = (result.non_adopters.units, result.non_adopters.before, result.non_adopters.after,
               result.non_adopters.change)
    assert _close(got_adopters, want["adopters"])
    assert _close(got_non, want["non"])
    assert _close(result.difference_in_differences, want["did"])
    assert _close(result.adopters_by_day, want["by_day"])
    assert result.relative_days == list(range(-days, days + 1))
