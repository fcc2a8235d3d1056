"""One URL, three answers: a report page in HTML, its data as JSON (``?format=json``) or CSV (``?format=csv``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import ClientException
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Template

from waymark.admin.filters import FilterError, ReportFilters, parse_filters
from waymark.clock import utcnow
from waymark.csv_cells import csv_bytes, safe_cell

__all__ = ["csv_bytes", "page", "report_page", "safe_cell"]

_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def _filters(request: Request[Any, Any, Any]) -> ReportFilters:
    try:
        return parse_filters(request.query_params, utcnow().date())
    except FilterError as exc:
        raise ClientException(str(exc)) from exc


def _export_url(request: Request[Any, Any, Any], fmt: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "format"]
    return f"{request.url.path}?{urlencode([*params, ('format', fmt)])}"


def page(request: Request[Any, Any, Any], template: str, context: Mapping[str, Any] | None = None,
         status_code: int = 200) -> Template:
    """An admin page (not a report): ``template`` with ``context``."""
    return Template(template_name=template, context=dict(context or {}), status_code=status_code,
                    media_type=MediaType.HTML)


def report_page(
    request: Request[Any, Any, Any],
    *,
    template: str,
    data: Any,
    csv_rows: Iterable[Sequence[Any]],
    filename: str,
    context: Mapping[str, Any] | None = None,
) -> Response[Any]:
    """Answer a report: HTML from ``template`` by default, ``?format=json`` the msgspec-encoded ``data``,
    ``?format=csv`` the ``csv_rows`` (first row the header) as a download named ``<filename>.csv``.

    The template's context holds ``data``, ``filters`` (a :class:`ReportFilters`), ``exports`` (the JSON
    and CSV links of this very view) and whatever ``context`` adds.
    """
    fmt = request.query_params.get("format", "html")
    if fmt == "json":
        return Response(msgspec.json.encode(data), media_type=MediaType.JSON)
    if fmt == "csv":
        name = _FILENAME.sub("-", filename).strip("-.") or "report"
        return Response(csv_bytes(csv_rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt != "html":
        raise ClientException(f"format={fmt[:20]!r} is not offered: use html, json or csv")
    full = {
        "data": data,
        "filters": _filters(request),
        "exports": {"json": _export_url(request, "json"), "csv": _export_url(request, "csv")},
        **(context or {}),
    }
    if request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true":
        # A filter form's update (htmx): the page without its chrome (base.html skips it for ``partial``); the
        # form takes #report from it and the browser's address becomes this view's URL.
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return HTMXTemplate(template_name=template, context={**full, "partial": True}, push_url=url,
                            media_type=MediaType.HTML, headers={"Vary": "HX-Request"})
    response = page(request, template, full)
    response.headers["Vary"] = "HX-Request"
    return response
