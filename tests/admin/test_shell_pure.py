"""The shell's pure parts: filters, formula-safe CSV, chart data and the navigation a role sees."""

from __future__ import annotations

from datetime import date

import pytest

from waymark.access.principal import Grant, Role
from waymark.admin.charts import bar_rows, chart_payload
from waymark.admin.filters import FilterError, SegmentRule, parse_filters
from waymark.admin.nav import navigation
from waymark.admin.render import csv_bytes, safe_cell

TODAY = date(2026, 3, 10)


def test_no_filters_is_the_last_30_days_up_to_today() -> None:
    found = parse_filters({}, TODAY)
    assert (found.start, found.end, found.segment) == (date(2026, 2, 9), TODAY, None)
    assert len(found.days) == 30


def test_a_range_and_a_segment_are_read_as_given() -> None:
    found = parse_filters({"from": "2026-01-01", "to": "2026-01-31", "segment": " tenant.plan=pro "}, TODAY)
    assert (found.start, found.end, found.segment) == (date(2026, 1, 1), date(2026, 1, 31), "tenant.plan=pro")
    assert found.segment_rule == SegmentRule("tenant", "plan", "pro")
    assert found.query() == {"from": "2026-01-01", "to": "2026-01-31", "segment": "tenant.plan=pro"}


def test_only_from_gives_30_days_from_it() -> None:
    assert parse_filters({"from": "2026-01-01"}, TODAY).end == date(2026, 1, 30)


@pytest.mark.parametrize(("params", "says"), [
    ({"from": "yesterday"}, "not a date"),
    ({"to": "2026-02-30"}, "not a date"),
    ({"from": "20260101"}, "not a date"),
    ({"from": "2026-03-01", "to": "2026-02-01"}, "after"),
    ({"from": "2024-01-01", "to": "2025-01-01"}, "at most 366"),
    ({"segment": "plan=pro"}, "tenant.<field>=<value>"),
    ({"segment": "account.plan=pro"}, "tenant.<field>=<value>"),
    ({"segment": "tenant.plan="}, "tenant.<field>=<value>"),
    ({"segment": "visitor.bad field=x"}, "tenant.<field>=<value>"),
])
def test_bad_filters_say_what_is_wrong(params: dict[str, str], says: str) -> None:
    with pytest.raises(FilterError, match=".*" + says.replace(".", r"\.").replace("<", ".").replace(">", ".")):
        parse_filters(params, TODAY)


def test_a_full_leap_year_fits() -> None:
    assert len(parse_filters({"from": "2024-01-01", "to": "2024-12-31"}, TODAY).days) == 366


@pytest.mark.parametrize(("cell", "written"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("@SUM(1)", "'@SUM(1)"),
    ("-2+3", "'-2+3"),
    ("\tx", "'\tx"),
    ("-12.5", "-12.5"),
    (-3, "-3"),
    (0.25, "0.25"),
    (None, ""),
    (True, "true"),
    (date(2026, 1, 2), "2026-01-02"),
    ("plain", "plain"),
])
def test_csv_cells_never_run_as_formulas(cell: object, written: str) -> None:
    assert safe_cell(cell) == written


def test_csv_has_a_bom_and_quotes_what_needs_it() -> None:
    body = csv_bytes([["name", "n"], ["a, b", 1], ["=1+1", -1]]).decode()
    assert body == '\ufeffname,n\r\n"a, b",1\r\n\'=1+1,-1\r\n'


def test_chart_payload_is_utc_seconds_and_checks_lengths() -> None:
    payload = chart_payload(["2026-01-01", date(2026, 1, 2)], [("Active", [3, None])], [("2026-01-02", "v2")])
    assert payload == {"x": [1767225600, 1767312000], "series": [{"label": "Active", "values": [3.0, None]}],
                       "marks": [{"x": 1767312000, "label": "v2"}]}
    with pytest.raises(ValueError, match="1 values for 2 days"):
        chart_payload(["2026-01-01", "2026-01-02"], [("Active", [1])])


def test_bars_are_shares_of_the_largest() -> None:
    rows = bar_rows([("a", 50), ("b", 100), ("c", None)], unit="%")
    assert [(r["label"], r["width"], r["display"]) for r in rows] == [("a", 50.0, "50%"), ("b", 100.0, "100%"),
                                                                       ("c", 0.0, "–")]
    assert bar_rows([("a", 0)])[0]["width"] == 0.0


def _hrefs(grants: list[Grant], app_id: str | None, tenant_id: str | None) -> set[str]:
    return {link.href for section in navigation(grants, app_id, tenant_id, "/admin/") for link in section.links}


def test_a_tenant_admin_is_shown_only_their_tenant() -> None:
    hrefs = _hrefs([Grant("app1", Role.TENANT_ADMIN, "acme")], "app1", "acme")
    assert hrefs and all(h.startswith("/admin/apps/app1/tenants/acme/") for h in hrefs)


def test_an_owner_sees_keys_and_an_analyst_does_not() -> None:
    assert "/admin/apps/app1/keys" in _hrefs([Grant("app1", Role.OWNER)], "app1", None)
    analyst = _hrefs([Grant("app1", Role.ANALYST)], "app1", None)
    assert "/admin/apps/app1/keys" not in analyst and "/admin/apps/app1/nps" in analyst
    assert "/admin/apps/app1/content" in _hrefs([Grant("app1", Role.AUTHOR)], "app1", None)
    assert "/admin/apps/app1/content" not in _hrefs([Grant("app1", Role.TENANT_ADMIN, "t")], "app1", "t")


def test_tenant_links_are_escaped() -> None:
    assert "/admin/apps/a/tenants/x%2Fy%20z/" in _hrefs([Grant("a", Role.OWNER)], "a", "x/y z")
