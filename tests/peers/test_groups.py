"""Peer groups from tenant metadata: industry and plan as labels, size bands from size, employees or seats."""

from __future__ import annotations

import pytest

from waymark.peers.groups import group_of, groups_of, size_band


@pytest.mark.parametrize(("meta", "band"), [
    ({"size": 1}, "1-10"),
    ({"size": 10}, "1-10"),
    ({"size": 11}, "11-50"),
    ({"employees": "200"}, "51-200"),
    ({"seats": 201}, "201-1000"),
    ({"size": "51-200"}, "51-200"),
    ({"size": "1,200+"}, "1001-5000"),
    ({"size": 5001}, "5001+"),
    ({"size": 12.7}, "11-50"),
    ({"size": "large", "employees": 40}, "11-50"),  # the first field that holds a number counts
    ({"size": "large"}, None),
    ({"size": 0}, None),
    ({"size": True}, None),
    ({"size": float("nan")}, None),
    ({}, None),
])
def test_size_bands(meta: dict[str, object], band: str | None) -> None:
    assert size_band(meta) == band


def test_labels_are_trimmed_and_case_folded() -> None:
    assert group_of({"industry": "  Health   Care "}, "industry") == "health care"
    assert group_of({"industry": "FinTech"}, "industry") == group_of({"industry": "fintech"}, "industry")
    assert group_of({"plan": ""}, "plan") is None
    assert group_of({"plan": {"nested": 1}}, "plan") is None
    assert group_of({}, "all") == "all"
    assert groups_of({"industry": "Retail", "plan": "Pro", "seats": 3}) == {
        "all": "all", "industry": "retail", "plan": "pro", "size": "1-10"}
