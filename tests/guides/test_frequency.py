"""When a guide may start by itself again, and how events change a visitor's guide state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from waymark.guides.frequency import GuideState, apply_event, may_auto_show, throttle_allows

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def state(status: str = "new", **kwargs: object) -> GuideState:
    return GuideState(status=status, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "once", "until_completed"),
    [
        ("new", True, True),
        ("in_progress", True, True),
        ("seen", False, True),
        ("dismissed", False, True),
        ("completed", False, False),
        ("snoozed", True, True),  # the snooze ran out (no snoozed_until in the future)
    ],
)
def test_once_and_until_completed(status: str, once: bool, until_completed: bool) -> None:
    current = state(status, last_seen_at=NOW - DAY)
    assert may_auto_show("once", None, current, NOW) is once
    assert may_auto_show("until_completed", None, current, NOW) is until_completed


def test_until_completed_remembers_completion_after_a_replay() -> None:
    # Completed, then opened again by a click and closed: still never automatic again.
    current = state("completed", completed_at=NOW - 2 * DAY)
    replayed = apply_event(apply_event(current, "guide_seen", 0, NOW - DAY), "guide_dismissed", 0, NOW - DAY)
    assert replayed.status == "dismissed"
    assert may_auto_show("until_completed", None, replayed, NOW) is False


def test_every_n_days() -> None:
    assert may_auto_show("every", 7, state("new"), NOW)
    assert not may_auto_show("every", 7, state("seen", last_seen_at=NOW - 6 * DAY), NOW)
    assert may_auto_show("every", 7, state("seen", last_seen_at=NOW - 7 * DAY), NOW)
    assert may_auto_show("every", 7, state("completed", last_seen_at=NOW - 8 * DAY), NOW)
    assert not may_auto_show("every", 7, state("dismissed", last_seen_at=NOW - DAY), NOW)


def test_snooze_in_the_future_blocks_every_mode() -> None:
    snoozed = state("snoozed", snoozed_until=NOW + timedelta(minutes=1))
    for mode in ("once", "until_completed", "every"):
        assert may_auto_show(mode, 1, snoozed, NOW) is False
    assert may_auto_show("once", None, state("snoozed", snoozed_until=NOW), NOW) is True


def test_in_progress_always_resumes() -> None:
    current = state("in_progress", step=2, last_seen_at=NOW)
    for mode in ("once", "until_completed", "every"):
        assert may_auto_show(mode, 30, current, NOW) is True


def test_naive_datetimes_from_the_database_are_utc() -> None:
    naive = state("seen", last_seen_at=datetime(2026, 11, 15, 10, 0))
    assert may_auto_show("every", 7, naive, NOW)
    assert not may_auto_show("once", None, state("snoozed", snoozed_until=datetime(2026, 11, 23)), NOW)


def test_unknown_frequency_mode_is_an_error() -> None:
    with pytest.raises(ValueError):
        may_auto_show("sometimes", None, state(), NOW)


def test_throttle() -> None:
    interval = timedelta(hours=24)
    assert throttle_allows(None, NOW, interval)
    assert not throttle_allows(NOW - timedelta(hours=23), NOW, interval)
    assert throttle_allows(NOW - timedelta(hours=24), NOW, interval)
    assert throttle_allows(datetime(2026, 11, 21, 9, 0), NOW, interval)


# --- events ------------------------------------------------------------------


def test_seen_then_advanced_then_completed() -> None:
    seen = apply_event(state(), "guide_seen", 0, NOW)
    assert (seen.status, seen.step, seen.last_seen_at) == ("seen", 0, NOW)
    advanced = apply_event(seen, "guide_step_advanced", 1, NOW + DAY)
    assert (advanced.status, advanced.step) == ("in_progress", 1)
    assert may_auto_show("once", None, advanced, NOW + DAY)
    resumed = apply_event(advanced, "guide_seen", 1, NOW + 2 * DAY)
    assert (resumed.status, resumed.step) == ("in_progress", 1)
    done = apply_event(resumed, "guide_completed", 3, NOW + 3 * DAY)
    assert (done.status, done.step, done.completed_at) == ("completed", 3, NOW + 3 * DAY)
    assert not may_auto_show("once", None, done, NOW + 9 * DAY)


def test_seen_once_is_not_shown_again_by_itself() -> None:
    assert not may_auto_show("once", None, apply_event(state(), "guide_seen", 0, NOW), NOW + DAY)


def test_dismissed() -> None:
    dismissed = apply_event(state("in_progress", step=1), "guide_dismissed", 1, NOW)
    assert (dismissed.status, dismissed.step) == ("dismissed", 1)
    assert not may_auto_show("once", None, dismissed, NOW + 30 * DAY)
    assert may_auto_show("until_completed", None, dismissed, NOW + DAY)


def test_snoozed_for_the_guides_days_then_shown_again() -> None:
    snoozed = apply_event(state("in_progress", step=2), "guide_snoozed", 2, NOW, 3)
    assert (snoozed.status, snoozed.step, snoozed.snoozed_until) == ("snoozed", 2, NOW + 3 * DAY)
    assert not may_auto_show("once", None, snoozed, NOW + 2 * DAY)
    assert may_auto_show("once", None, snoozed, NOW + 3 * DAY)
    assert apply_event(state(), "guide_snoozed", 0, NOW, None).snoozed_until == NOW + DAY


def test_showing_a_snoozed_guide_ends_the_snooze() -> None:
    snoozed = apply_event(state(), "guide_snoozed", 0, NOW, 7)
    clicked_open = apply_event(snoozed, "guide_seen", 0, NOW + DAY)
    assert clicked_open.snoozed_until is None


def test_anchor_missing_leaves_state_unchanged() -> None:
    current = state("in_progress", step=2, last_seen_at=NOW - DAY)
    assert apply_event(current, "guide_anchor_missing", 2, NOW) == current


def test_apply_event_does_not_mutate_its_input() -> None:
    current = state()
    apply_event(current, "guide_completed", 0, NOW)
    assert current == state()
