"""The import graph of the server's packages: runtime settings sit below delivery and ingestion, no cycle anywhere."""

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


def test_no_package_imports_itself_through_another() -> None:
    graph = package_imports()
    looped = [package for package in graph if reaches(graph, package, package)]
    assert not looped, f"packages in an import cycle: {looped}"


def test_guides_know_no_domain_built_on_them() -> None:
    """Policies and surveys are guide kinds: their file rules live in guides/kinds, their storage above guides."""
    graph = package_imports()
    assert not graph["guides"] & {"policies", "surveys", "holdouts", "events", "delivery"}, graph["guides"]


def test_the_product_never_imports_the_demo() -> None:
    """The demo host app and its synthetic data live in ``waymark_demo``; the CLI finds ``demo`` by entry point."""
    found = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            found += [f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] == "waymark_demo"]
    assert not found, found
    assert not (ROOT / "demo").exists(), "the demo lives in server/waymark_demo, outside the product package"


def test_the_database_layer_and_its_migrations_import_nothing_above_it() -> None:
    """A migration importing the application would change what it does whenever that code changes: back-fills that
    need the application's code are marked by the migration and run by :mod:`waymark.upgrade`."""
    assert not package_imports()["db"]
    above = []
    for path in (ROOT / "db" / "migrations").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            above += [f"{path.name}: {name}" for name in names
                      if name.split(".")[0] == "waymark" and not name.startswith("waymark.db.")]
    assert not above, above
