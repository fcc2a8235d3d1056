"""Trends and retention as tables (first row the header): the admin pages' CSV and the API's, the same rows."""

from __future__ import annotations

from typing import Any

from waymark.behaviour.retention import RetentionReport
from waymark.behaviour.trends import TrendsReport

__all__ = ["retention_rows", "trends_rows"]


def trends_rows(report: TrendsReport) -> list[list[Any]]:
    """One row per series, group and period; the formula's rows have ``series`` = ``formula``."""
    rows: list[list[Any]] = [["series", "ref", "group", "period_start", "period_end", "value"]]
    for line in report.series:
        rows += [[line.letter, line.ref, line.group, p.start, p.end, value]
                 for p, value in zip(report.periods, line.values, strict=True)]
    for formula in report.formula_series:
        rows += [["formula", report.formula, formula.group, p.start, p.end, value]
                 for p, value in zip(report.periods, formula.values, strict=True)]
    return rows


def retention_rows(report: RetentionReport) -> list[list[Any]]:
    """One row per cohort and bracket, then the average per bracket (``cohort_start`` = ``average``)."""
    rows: list[list[Any]] = [["cohort_start", "cohort_end", "size", "bracket", "returned", "rate", "complete"]]
    for cohort in report.cohorts:
        rows += [[cohort.start, cohort.end, cohort.size, n, cohort.returned[n], cohort.rates[n], cohort.complete[n]]
                 for n in range(report.brackets)]
    rows += [["average", None, report.average_size[n], n, None, report.average[n], True]
             for n in range(report.brackets)]
    return rows
