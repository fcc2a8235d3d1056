"""A real ``waymark serve`` process for tests whose client is a separate program (SDKs, several workers)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

__all__ = ["running_server", "start_server"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database_url: str, workers: int = 1, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start serving ``database_url`` (already migrated); returns the process and its base URL once it answers."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "waymark.cli", "serve", "--port", str(port), "--workers", str(workers), "--no-migrate"],
        env={**os.environ, "WAYMARK_DATABASE_URL": database_url, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/livez", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("waymark serve did not start")
        time.sleep(0.1)


@contextmanager
def running_server(database_url: str, workers: int = 1, **env: str) -> Iterator[str]:
    """Serve ``database_url`` and yield the base URL; stopped afterwards."""
    process, base = start_server(database_url, workers, **env)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
