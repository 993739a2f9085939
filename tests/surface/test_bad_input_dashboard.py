"""The dashboard's Upload page over the bad-input corpus (tests/data/bad), through Streamlit's AppTest.

Each file is uploaded and ingested twice: the validation report names the file, and the rejected-rows
table its rows, fields and reasons; nothing raises, and the second ingest stores nothing new.
SQLite only (the dashboard adds no storage of its own; the CLI and API tests cover PostgreSQL).
Expectations: tests/data/bad/cases.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lens_core.storage.engine import open_engine
from tests.conftest import ROOT
from tests.data.bad import make_big
from tests.data.bad.cases import CASES, Case, Issue, check_report, check_stored, path_of
from tests.surface.test_dashboard import dashboard_database

MAIN = str(ROOT / "app" / "main.py")
TIMEOUT = 180
MIME = {".csv": "text/csv", ".json": "application/json", ".jsonl": "application/jsonl"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_big.generate(tmp_path_factory.mktemp("bad-generated"))


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "dashboard.db"
    with dashboard_database(path, monkeypatch):
        yield path


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def table(app: AppTest, column: str) -> pd.DataFrame | None:
    """The last dataframe on the page that has `column` (the report has "accepted", rejections "reason")."""
    frames = [frame.value for frame in app.dataframe if column in frame.value.columns]
    return frames[-1] if frames else None


def check_page(case: Case, app: AppTest, *, again: bool) -> None:
    no_exception(app)
    errors = [e.value for e in app.error]
    if case.file_error:
        assert any(text.startswith(case.file_error) for text in errors), errors
        return
    assert not errors, errors
    report = table(app, "accepted").set_index("file").loc[case.file]
    assert report["problem"] == "" and report["rejected"] == case.n_rejected
    rejected = table(app, "reason")
    issues = [] if rejected is None else [
        Issue(r["file"], int(r["row"]), r["field"] or None, r["reason"]) for r in rejected.to_dict("records")
    ]
    check_report(case, accepted=int(report["accepted"]), duplicates=int(report["duplicates"]), issues=issues,
                 again=again)
    if case.accepted == 0 and not again:
        assert any(f"{case.file}: no valid rows" in w.value for w in app.warning)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_file_through_the_upload_page(case: Case, db_path: Path, generated: Path) -> None:
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    app.switch_page("../pages/upload.py").run()
    data = path_of(case, generated).read_bytes()
    app.file_uploader(key="upload_files").set_value([(case.file, data, MIME[Path(case.file).suffix])]).run()
    no_exception(app)  # the preview of a bad file is an explanation, not an exception
    for again in (False, True):
        app.button(key="upload_ingest").click().run()
        check_page(case, app, again=again)
    engine = open_engine(f"sqlite:///{db_path}")
    try:
        check_stored(case, engine)
    finally:
        engine.dispose()
