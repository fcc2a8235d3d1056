"""Seeding the demo app: a fixed public key (it is public anyway) and the guides in ``guides/``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from waymark.apps.keys import hash_secret, new_secret_key
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import App, SecretKey
from waymark.guides.loader import validate_paths
from waymark.guides.publishing import items_from_loaded
from waymark.guides.services import publish
from waymark.settings import Settings

__all__ = ["DEMO_APP_ID", "DEMO_PUBLIC_KEY", "seed_demo"]

DEMO_APP_ID = "demo"
DEMO_PUBLIC_KEY = "pk_demo_ledgerly"


async def seed_demo(settings: Settings, guides_dir: Path) -> str:
    """Create the demo app if missing and publish ``guides_dir``; returns a summary for people."""
    loaded, errors = validate_paths([str(guides_dir)])
    if errors:
        raise ValueError("demo guides are invalid:\n" + "\n".join(str(e) for e in errors))
    engine = create_engine(settings.database_url)
    lines: list[str] = []
    try:
        async with make_sessionmaker(engine)() as session:
            app = await session.scalar(select(App).where(App.id == DEMO_APP_ID))
            if app is None:
                secret = new_secret_key()
                session.add(App(id=DEMO_APP_ID, name="Ledgerly (demo)", public_key=DEMO_PUBLIC_KEY,
                                guides_version=0, throttle_seconds=86400))
                await session.flush()
                session.add(SecretKey(app_id=DEMO_APP_ID, prefix=secret[:10], key_hash=hash_secret(secret)))
                lines.append(f"created demo app; secret key (shown once): {secret}")
            results = await publish(session, DEMO_APP_ID, items_from_loaded(loaded))
            await session.commit()
    finally:
        await engine.dispose()
    for r in results:
        lines.append(f"  {r.id}: v{r.version}{'' if r.changed else ' (unchanged)'}")
    return "\n".join(["demo guides published:", *lines])
