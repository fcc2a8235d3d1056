"""Schemathesis over the OpenAPI document against a real server, on each database: no 5xx, every answer documented."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import at, event, guide_yaml, make_app
from waymark.apps.services import NewApp
from waymark.settings import Settings
from waymark.testing import running_server

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])
MAX_EXAMPLES = 25
"""Per operation and phase: about a minute per database on two cores, with the coverage phase's boundary cases."""

TOUR = guide_yaml("""
    id: tour
    name: Tour
    kind: walkthrough
    steps:
      - type: lightbox
        title: Welcome
        body: Hello **there**
      - type: tooltip
        anchor: "#go"
        title: Go
""")


def _config(app: NewApp) -> str:
    """Valid keys for every security scheme of the document, so that calls get past authentication."""
    return f"""
[auth.openapi.publicKey]
api_key = "{app.public_key}"

[auth.openapi.publicKeyHeader]
api_key = "{app.public_key}"

[auth.openapi.secretKey]
bearer = "{app.secret_key}"

# A secret write key works whether or not the app requires verified identities (which a test may turn on).
[auth.openapi.writeKey]
username = "{app.secret_key}"
password = ""

[cache]
enabled = false

# Half the path ids are ones the seed created, so that calls also reach what lies past the 404.
[dictionaries]
guides = {{values = ["tour"]}}
pages = {{values = ["invoices"]}}
features = {{values = ["new-invoice"]}}
visitors = {{values = ["alice"]}}
tenants = {{values = ["acme"]}}

[parameters]
"path.guide_id" = {{dictionary = "guides", probability = 0.5}}
"path.page_id" = {{dictionary = "pages", probability = 0.5}}
"path.feature_id" = {{dictionary = "features", probability = 0.5}}
"path.visitor_id" = {{dictionary = "visitors", probability = 0.5}}
"path.tenant_id" = {{dictionary = "tenants", probability = 0.5}}
"""


def _seed(base: str, app: NewApp) -> None:
    """Some data for the handlers to work on: a guide with two versions, events, a page and a feature."""
    secret = {"Authorization": f"Bearer {app.secret_key}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        for content in (TOUR, TOUR.replace("Welcome", "Welcome back")):
            pushed = client.post("/api/v1/guide-definitions/push", headers=secret,
                                 json={"files": [{"name": "tour.yaml", "content": content}]})
            assert pushed.status_code == 200, pushed.text
        page = {"visitor": "alice", "tenant": "acme", "url": "http://app.test/invoices/7"}
        events = [
            event("guide_seen", "tour", **page),
            {"id": "page-1", "type": "page", "ts": at(1), **page},
            {"id": "click-1", "type": "click", "ts": at(2), "element": {"tag": "button", "id": "new-invoice"}, **page},
        ]
        sent = client.post("/api/v1/events", params={"key": app.public_key}, json={"events": events})
        assert sent.status_code == 202 and sent.json()["accepted"] == 3, sent.text
        for path, body in (("/api/v1/pages/invoices", {"name": "Invoices", "rule": "/invoices/*"}),
                           ("/api/v1/features/new-invoice", {"name": "New invoice", "selector": "#new-invoice"})):
            saved = client.put(path, headers=secret, json=body)
            assert saved.status_code == 201, saved.text


@pytest.mark.long
def test_every_answer_is_documented_and_none_is_a_server_error(database_url: str, tmp_path: Path) -> None:
    app = asyncio.run(make_app(Settings(database_url=database_url)))
    with running_server(database_url) as base:
        _seed(base, app)
        config = tmp_path / "schemathesis.toml"
        config.write_text(_config(app))
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
             "run", f"{base}/schema/openapi.json",
             "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES),
             # One worker: CPython 3.11's parser keeps its recursion depth in state shared between threads, and
             # Hypothesis parses sources while describing strategies, so two workers fail now and then with
             # "SystemError: AST constructor recursion depth mismatch".
             "--phases", "examples,coverage,fuzzing", "--workers", "1",
             "--request-timeout", "30", "--generation-database", "none", "--suppress-health-check", "all"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )
        took = time.monotonic() - started
    assert run.returncode == 0, f"schemathesis failed after {took:.0f} s:\n{_report(run.stdout)}\n{run.stderr[-5000:]}"


def _report(output: str) -> str:
    """The failures and the summary, each line cut short: a reproducing request can be 100 KB long."""
    start = output.find("=== FAILURES") if "=== FAILURES" in output else output.find("=== ERRORS")
    return "\n".join(line if len(line) <= 2000 else line[:2000] + " …" for line in output[start:].splitlines())
