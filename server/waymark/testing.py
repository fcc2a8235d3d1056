"""A real ``waymark serve`` process on a free port, for tests, end-to-end tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO

import httpx

__all__ = ["running_server", "start_server", "stop_server"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    database_url: str, workers: int = 1, log: IO[str] | None = None, *, command: Sequence[str] | None = None,
    **env: str,
) -> tuple[subprocess.Popen[bytes], str]:
    """Serve ``database_url`` (already migrated); returns the process and its base URL once it answers.

    ``command``: another ``waymark`` command that serves (given ``--port``) instead of ``serve``, such as
    the demo's ``("demo", "--no-seed")``.
    """
    port = _free_port()
    argv = list(command) if command is not None else ["serve", "--workers", str(workers), "--no-migrate"]
    process = subprocess.Popen(
        [sys.executable, "-m", "waymark.cli", *argv, "--port", str(port)],
        env={**os.environ, "WAYMARK_DATABASE_URL": database_url, **env},
        stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
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
            stop_server(process)
            raise RuntimeError("waymark serve did not start")
        time.sleep(0.1)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def running_server(database_url: str, workers: int = 1, **env: str) -> Iterator[str]:
    """Serve ``database_url`` and yield the base URL; stopped afterwards."""
    process, base = start_server(database_url, workers, None, **env)
    try:
        yield base
    finally:
        stop_server(process)
