"""Shared by the benchmarks: a real server process on a free port and wrk runs against it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from waymark.testing import start_server, stop_server

__all__ = ["DEMO", "ROOT", "Server", "WrkResult", "wrk"]

ROOT = Path(__file__).resolve().parents[1]


DEMO = ("demo", "--no-seed")
"""The demo's server (the product with the host pages at /demo/), on a database seeded before."""


class Server:
    def __init__(self, database_url: str, workers: int = 1, env: dict[str, str] | None = None,
                 command: tuple[str, ...] | None = None) -> None:
        self.process, self.url = start_server(database_url, workers, None, command=command, **(env or {}))

    def stop(self) -> None:
        stop_server(self.process)


class WrkResult:
    def __init__(self, rps: float, p50_ms: float, p99_ms: float, errors: int) -> None:
        self.rps, self.p50_ms, self.p99_ms, self.errors = rps, p50_ms, p99_ms, errors

    def __str__(self) -> str:
        return f"{self.rps:>9,.0f} req/s   p50 {self.p50_ms:6.2f} ms   p99 {self.p99_ms:6.2f} ms"


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"wrk printed a latency I cannot read: {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, seconds: int = 8, connections: int = 32, script: Path | None = None) -> WrkResult:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(rps, p50, p99, int(bad.group(1)) if bad else 0)
