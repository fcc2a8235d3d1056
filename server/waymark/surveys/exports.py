"""The survey reports as CSV for the REST API: one table each, every cell a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from waymark.surveys.schemas import NpsComments, NpsReport, PollReport

__all__ = ["nps_comments_csv", "nps_csv", "poll_csv"]


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @ …) is made inert with a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if c is None else _cell(c) for c in row])
    return out.getvalue()


def nps_csv(report: NpsReport) -> str:
    """One table: the total, then one row per interval and per tenant (``section`` says which)."""
    def line(section: str, key: str, f: Any, rate: Any = None) -> list[Any]:
        low, high = f.ci95 or (None, None)
        return [section, key, f.responses, f.promoters, f.passives, f.detractors, f.score, low, high, rate]

    rows = [line("total", report.tenant or "", report, report.response_rate)]
    rows += [line("interval", p.start.isoformat(), p) for p in report.series]
    rows += [line("tenant", t.tenant, t) for t in report.tenants]
    return _csv(["section", "key", "responses", "promoters", "passives", "detractors", "score", "ci95_low",
                 "ci95_high", "response_rate"], rows)


def nps_comments_csv(report: NpsComments) -> str:
    return _csv(["ts", "visitor", "tenant", "score", "category", "comment"],
                ([c.ts.isoformat(), c.visitor, c.tenant, c.score, c.category, c.comment] for c in report.comments))


def poll_csv(report: PollReport) -> str:
    """One row per (tenant, question, option); ``tenant`` is empty for the total over the report's tenants."""
    rows: list[list[Any]] = []
    for tenant, questions in [("", report.questions)] + [(t.tenant, t.questions) for t in report.tenants]:
        section = "tenant" if tenant else "total"
        for q in questions:
            if not q.options:
                rows.append([section, tenant, q.question, q.input, q.responses, "", "", "", ""])
            for o in q.options:
                rows.append([section, tenant, q.question, q.input, q.responses, o.id, o.label, o.count, o.share])
    return _csv(["section", "tenant", "question", "input", "responses", "option", "label", "count", "share"], rows)
