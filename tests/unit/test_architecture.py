"""The core stays free of UI and web frameworks, so every surface over it stays thin (ARCHITECTURE rule 1)."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "lens_core"
FORBIDDEN = {"streamlit", "fastapi", "starlette", "uvicorn", "typer", "click", "flask"}
# The `lens` command is the one entry point that lives in the package (it is its console script); its
# options generated from the registry are part of it.
ENTRY_POINTS = {CORE / "cli.py", CORE / "cli_options.py"}


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
