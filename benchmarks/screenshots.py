"""The README's screenshots of the demo app, taken in Chromium against a real server.

Writes 1200×760 PNGs to ``docs/screenshots/``; each shot is a fresh browser
context (a new visitor unless ``?visitor=`` names one). Palette-reduced with
Pillow when it can be imported (it is not a dependency: ``pip install --target
DIR pillow`` and ``PYTHONPATH=DIR`` will do). The admin's pages (``admin-*.png``)
are taken signed in as the demo's owner, 1200×1100. Run:
``.venv/bin/python -m benchmarks.screenshots`` (a fresh demo), or against the
running demo of ``make run``: ``... -m benchmarks.screenshots --url
http://127.0.0.1:8000 --admin``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from benchmarks._server import DEMO, ROOT, Server

__all__ = ["ADMIN_SHOTS", "SHOTS", "main", "take"]

CHROMIUM = os.environ.get("WAYMARK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
OUT = ROOT / "docs" / "screenshots"
_MARKS = "() => performance.getEntriesByName('waymark:guide-shown').length"


def _open(page: Page, path: str, marks: int = 1) -> None:
    """Load ``path`` (relative to the server) and wait until the widget has put ``marks`` views on screen."""
    page.goto(path)
    _wait(page, marks)


def _wait(page: Page, marks: int) -> None:
    # Polled: the demo's CSP forbids the eval that wait_for_function uses for string predicates.
    deadline = time.monotonic() + 15
    while page.evaluate(_MARKS) < marks:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{page.url}: fewer than {marks} guide view(s) shown within 15 s")
        time.sleep(0.05)
    page.wait_for_timeout(150)  # the tooltip settles after its ResizeObserver's first frame


def _click(page: Page, name: str) -> None:
    page.locator("#waymark-root").get_by_role("button", name=name, exact=True).click()


# Each shot is its own visitor: the server remembers how far the previous one got.
def lightbox(page: Page, visitor: str = "shot-lightbox") -> None:
    _open(page, f"/demo/invoices?visitor={visitor}")


def tooltip(page: Page, visitor: str = "shot-tooltip") -> None:
    lightbox(page, visitor)
    _click(page, "Next")
    _wait(page, 2)


def detail(page: Page) -> None:
    tooltip(page, "shot-detail")
    _click(page, "Next")
    _wait(page, 3)
    # "Open INV-1001 to continue": the tour follows the visitor to the invoice.
    page.get_by_role("link", name="INV-1001").click()
    page.wait_for_url("**/demo/invoices/INV-1001")
    _wait(page, 1)


def banner(page: Page) -> None:
    _open(page, "/demo/invoices?visitor=shot-banner")
    _click(page, "Close")  # the tour dismissed, as most visitors do
    _open(page, "/demo/settings")


def admin(page: Page) -> None:
    # The welcome tour outranks the announcement on /demo/invoices (and its start throttles the rest
    # for a day), so Alice meets the announcement first on an invoice, where the tour does not run.
    _open(page, "/demo/invoices/INV-1001?visitor=alice")


def french(page: Page) -> None:
    _open(page, "/demo/invoices?visitor=bruno")


def nps(page: Page) -> None:
    _open(page, "/demo/invoices?visitor=nina")
    page.locator("#waymark-root").get_by_role("radio", name="9").check()  # the follow-up question appears


def policy(page: Page) -> None:
    page.goto("/demo/invoices?visitor=pat")  # the prompt comes before any guide, and is not a guide view
    page.locator("#waymark-root").get_by_role("alertdialog").wait_for()
    page.wait_for_timeout(150)


def poll(page: Page) -> None:
    _open(page, "/demo/settings?visitor=nina")
    _click(page, "Next")


def hostile(page: Page) -> None:
    _open(page, "/demo/invoices?hostile=1&visitor=shot-hostile")


OWNER = ("owner@ledgerly.test", "demo-password")
"""The demo's owner (seeded by ``waymark demo``; demo-only credentials)."""


def _admin_page(path: str) -> Callable[[Page], None]:
    """Sign in as the demo's owner, open ``path`` and wait until admin.js has drawn every time series on it."""

    def steps(page: Page) -> None:
        page.set_viewport_size({"width": 1200, "height": 1100})  # a page's figures and its first chart
        page.goto("/admin/login")
        page.get_by_label("Email").fill(OWNER[0])
        page.get_by_label("Password").fill(OWNER[1])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/admin/login" not in url)
        answer = page.goto(path)
        if answer is None or answer.status != 200:
            raise RuntimeError(f"{path}: answered {answer and answer.status}")
        charts = page.locator("main [data-chart]")
        for i in range(charts.count()):
            charts.nth(i).locator("canvas").first.wait_for()
        page.evaluate("() => document.fonts.ready.then(() => true)")

    return steps


ADMIN_SHOTS: dict[str, Callable[[Page], None]] = {
    "admin-overview.png": _admin_page("/admin/apps/demo/"),
    "admin-tenant.png": _admin_page("/admin/apps/demo/tenants/acme/"),
    "admin-guide.png": _admin_page("/admin/apps/demo/guides/send-tip"),
    "admin-nps.png": _admin_page("/admin/apps/demo/nps"),
    "admin-policy.png": _admin_page("/admin/apps/demo/policies"),
    "admin-benchmarks.png": _admin_page("/admin/apps/demo/benchmarks"),
}
"""The admin's main pages, signed in as the demo's owner."""

SHOTS: dict[str, Callable[[Page], None]] = {
    "walkthrough-lightbox.png": lightbox,
    "walkthrough-tooltip.png": tooltip,
    "walkthrough-detail.png": detail,
    "settings-banner.png": banner,
    "admin-announcement.png": admin,
    "french.png": french,
    "hostile-css.png": hostile,
    "nps-survey.png": nps,
    "policy-prompt.png": policy,
    "poll-in-walkthrough.png": poll,
    **ADMIN_SHOTS,
}


def _reduce(path: Path) -> None:
    """Down to a 256-colour palette when Pillow is there: under half the size, no visible change."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as img:
        reduced = img.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    reduced.save(path, optimize=True)


def shoot(browser: Browser, base_url: str, name: str, steps: Callable[[Page], None]) -> Path:
    context = browser.new_context(viewport={"width": 1200, "height": 760}, device_scale_factor=1,
                                  locale="en-US", base_url=base_url)
    try:
        page = context.new_page()
        steps(page)
        path = OUT / name
        page.screenshot(path=str(path))
    finally:
        context.close()
    _reduce(path)
    return path


def take(base_url: str, shots: dict[str, Callable[[Page], None]]) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, steps in shots.items():
                path = shoot(browser, base_url, name, steps)
                print(f"  {path.relative_to(ROOT)}  {path.stat().st_size:>8,} B")
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="take them from this running demo (make run) instead of a fresh one")
    parser.add_argument("--admin", action="store_true", help="only the admin's pages (ADMIN_SHOTS)")
    args = parser.parse_args()
    shots = ADMIN_SHOTS if args.admin else SHOTS
    OUT.mkdir(parents=True, exist_ok=True)
    if args.url:
        take(args.url.rstrip("/"), shots)
        return
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite+aiosqlite:///{tmp}/screenshots.db"
        subprocess.run(
            [sys.executable, "-m", "waymark.cli", "demo", "--no-serve", "--guides", str(ROOT / "guides")],
            env={**os.environ, "WAYMARK_DATABASE_URL": database_url}, cwd=ROOT, check=True, capture_output=True,
        )
        server = Server(database_url, command=DEMO)
        try:
            take(server.url, shots)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
