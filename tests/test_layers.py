"""The import graph of the server's packages: runtime settings sit below delivery and ingestion, no cycle back up."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "server" / "waymark"


def package_imports() -> dict[str, set[str]]:
    """package → the waymark packages its modules import (module-level and function-level alike)."""
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2 or (parts[0] == "db" and "migrations" in parts):
            continue
        package = parts[0]
        found = graph.setdefault(package, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                bits = name.split(".")
                if bits[0] == "waymark" and len(bits) > 1 and (ROOT / bits[1]).is_dir() and bits[1] != package:
                    found.add(bits[1])
    return graph


def reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        here = todo.pop()
        for there in graph.get(here, ()):
            if there == goal:
                return True
            if there not in seen:
                seen.add(there)
                todo.append(there)
    return False


def test_ingestion_and_runtime_settings_never_import_delivery() -> None:
    graph = package_imports()
    assert "delivery" not in graph["events"], "events/ imports delivery/: read settings from waymark.runtime"
    assert not reaches(graph, "events", "delivery")
    assert not reaches(graph, "runtime", "delivery") and not reaches(graph, "runtime", "events")
    assert graph["runtime"] <= {"db"}, graph["runtime"]


def test_no_cycles_through_runtime_delivery_or_holdouts() -> None:
    graph = package_imports()
    for package in ("runtime", "delivery", "holdouts"):
        assert not reaches(graph, package, package), f"{package} imports itself through {sorted(graph[package])}"
