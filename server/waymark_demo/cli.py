"""``waymark demo``: seed the demo app and serve it with its host pages (added to the CLI by an entry point)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from waymark.cli_runner import run_on_database as _run
from waymark.cli_runner import serve_app as _serve
from waymark.settings import get_settings

__all__ = ["demo"]

DEMO_FACTORY = "waymark_demo.app:create_demo_app"


def _seed(guides_dir: Path, history: bool) -> None:
    from waymark.cli_support import with_session
    from waymark_demo.history_seed import seed_history
    from waymark_demo.logins import seed_logins
    from waymark_demo.milestones_seed import seed_milestones
    from waymark_demo.seed import seed_demo

    try:
        summary = _run(lambda s: seed_demo(s, guides_dir))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary)
    if history:
        began = time.perf_counter()
        seeded = _run(seed_history)
        click.echo(f"{seeded.summary()} ({time.perf_counter() - began:.1f} s)")
        click.echo(_run(seed_milestones))
    logins = _run(lambda s: with_session(s, seed_logins))
    click.echo("demo logins (demo-only credentials, known to anyone who reads the code; never put real data in "
               "the demo app):")
    click.echo("\n".join(logins))


@click.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--guides", "guides_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("guides"), show_default=True, help="Folder of the demo app's guides.")
@click.option("--no-serve", is_flag=True, help="Seed only.")
@click.option("--no-seed", is_flag=True, help="Serve only: the database is already seeded.")
@click.option("--history/--no-history", default=True, show_default=True,
              help="Seed six weeks of history of 22 tenants (usage, guides, answers, policy decisions); "
                   "stored once however often the demo starts.")
@click.option("--events", "event_count", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also store this many synthetic events of the demo's tenants over the last 90 days.")
@click.option("--reset-visitors", is_flag=True,
              help="Erase what the named demo visitors (alice, bruno, chloe, nina, pat) did, so they start afresh.")
def demo(
    host: str | None, port: int | None, guides_dir: Path, no_serve: bool, no_seed: bool, history: bool,
    event_count: int, reset_visitors: bool,
) -> None:
    """Seed the demo app (guides, pages, features, history, logins), then serve its host page at /demo/."""
    from waymark.cli_support import with_session
    from waymark.upgrade.run import upgrade
    from waymark_demo.reset import reset_named_visitors
    from waymark_demo.seed import seed_demo_events

    settings = get_settings()
    upgrade(settings.database_url, progress=True)
    if not no_seed:
        _seed(guides_dir, history)
    if reset_visitors:
        reset = _run(lambda s: with_session(s, reset_named_visitors))
        click.echo(f"named demo visitors reset: {', '.join(reset) or 'none had anything stored'}")
    if event_count:
        began = time.perf_counter()
        with click.progressbar(length=event_count, label="synthetic events", show_pos=True) as bar:
            stored = _run(lambda s: seed_demo_events(s, event_count, bar.update))
        click.echo(f"{stored} in {time.perf_counter() - began:.1f} s")
    if not no_serve:
        host, port = host or settings.host, port or settings.port
        click.echo(f"demo host app: http://{host}:{port}/demo/")
        click.echo(f"admin: http://{host}:{port}/admin/login")
        _serve(host, port, 1, DEMO_FACTORY)
