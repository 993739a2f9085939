"""The core stays free of UI and web frameworks, so every surface over it stays thin (ARCHITECTURE rule 1)."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "lens_core"
FORBIDDEN = {"streamlit", "fastapi", "starlette", "uvicorn", "typer", "click", "flask"}
# The `lens` command is the one entry point that lives in the package (it is its console script); its
# options generated from the registry are part of it.
ENTRY_POINTS = {CORE / "cli.py", CORE / "cli_ingest.py", CORE / "cli_options.py", CORE / "cli_patterns.py",
                CORE / "cli_trends.py"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_no_ui_or_web_framework() -> None:
    offenders = {
        str(path.relative_to(CORE)): sorted(imported_roots(path) & FORBIDDEN)
        for path in CORE.rglob("*.py")
        if path not in ENTRY_POINTS and imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_the_walk_sees_the_cli_imports() -> None:
    """Guards the test itself: the same walk does find typer in the CLI."""
    assert "typer" in imported_roots(CORE / "cli.py")


# Outside storage/ the core may name an Engine (to pass it on) and catch SQLAlchemy's errors; building
# queries, sessions or statements is storage's alone (issue 17: one home for every query).
ALLOWED_OUTSIDE_STORAGE = {"sqlalchemy.engine", "sqlalchemy.exc"}


def test_queries_live_in_storage() -> None:
    offenders = {}
    for path in CORE.rglob("*.py"):
        if "storage" in path.relative_to(CORE).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            bad = [m for m in modules if m.split(".")[0] in {"sqlalchemy", "sqlmodel"}
                   and m not in ALLOWED_OUTSIDE_STORAGE]
            if bad:
                offenders.setdefault(str(path.relative_to(CORE)), []).extend(bad)
    assert offenders == {}


def test_modules_stay_small() -> None:
    """Code is read more than written: a module over about 400 lines holds more than one idea."""
    long = {str(p.relative_to(CORE)): n for p in CORE.rglob("*.py")
            if "migrations" not in p.parts and (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}
