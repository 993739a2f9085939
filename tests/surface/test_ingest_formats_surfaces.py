"""Parquet and compressed telemetry on every surface: `lens ingest`, POST /ingest/file (a binary body;
a name that says .csv over gzip bytes) and the dashboard's Upload page (its uploader takes the suffixes,
its preview reads the first rows). The CLI and the API on both databases, the dashboard on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from streamlit.testing.v1 import AppTest

from lens_core.samples.generator import generate
from lens_core.storage import queries
from lens_core.storage.engine import open_engine
from tests.conftest import ROOT
from tests.data.formats import encode
from tests.surface.test_dashboard import dashboard_database

N = 120
EVENTS = generate(N, seed=21)[0]
ENDS_EARLY = "the compressed data ends early after row"


def post_file(client: TestClient, name: str, data: bytes, query: str = ""):
    return client.post(f"/ingest/file?name={quote(name)}{query}", content=data,
                       headers={"Content-Type": "application/octet-stream"})


def cut(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


# -- REST -----------------------------------------------------------------------------------------------------


def test_the_api_takes_compressed_and_parquet_bodies(client: TestClient, tmp_path: Path) -> None:
    gz = encode(EVENTS, "csv.gz", tmp_path)
    first = post_file(client, "telemetry.csv.gz", gz)
    assert first.status_code == 200, first.text
    assert (first.json()["accepted"], first.json()["rejected_count"]) == (N, 0)
    for name, data in [("telemetry.csv", gz),  # the name lies: the bytes are gzip
                       ("telemetry.parquet", encode(EVENTS, "parquet", tmp_path)),
                       ("telemetry.jsonl.zst", encode(EVENTS, "jsonl.zst", tmp_path))]:
        again = post_file(client, name, data)
        assert again.status_code == 200, (name, again.text)
        assert (again.json()["accepted"], again.json()["duplicates"]) == (0, N), name
    override = post_file(client, "export.bin", encode(EVENTS, "parquet", tmp_path), "&format=parquet")
    assert override.status_code == 200 and override.json()["duplicates"] == N
    assert client.get("/stats/overview").json()["events"] == N


def test_the_api_reports_a_cut_off_body_and_refuses_a_broken_parquet(client: TestClient, tmp_path: Path) -> None:
    response = post_file(client, "cut.jsonl.gz", cut(encode(EVENTS, "jsonl.gz", tmp_path)))
    assert response.status_code == 200, response.text
    body = response.json()
    kept, (issue,) = body["accepted"], body["rejected"]
    assert 0 < kept < N and issue["row"] == kept + 1 and issue["field"] is None
    assert issue["message"] == f"cut.jsonl.gz: row {kept + 1}: {ENDS_EARLY} {kept} (truncated file?)"
    broken = post_file(client, "broken.parquet", cut(encode(EVENTS, "parquet", tmp_path)))
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["msg"].startswith("broken.parquet: not a readable Parquet file")
    assert client.get("/stats/overview").json()["events"] == kept


# -- CLI ------------------------------------------------------------------------------------------------------


def test_lens_ingest_reads_every_format_and_names_the_damage(lens, db_url: str, tmp_path: Path) -> None:
    files = {}
    for name, fmt in [("a.csv.gz", "csv.gz"), ("b.parquet", "parquet"), ("c.json.zst", "json.zst")]:
        files[name] = tmp_path / name
        files[name].write_bytes(encode(EVENTS, fmt, tmp_path))
    (tmp_path / "cut.csv.gz").write_bytes(cut(encode(EVENTS, "csv.gz", tmp_path)))
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 and nothing else")
    code, out, err = lens("ingest", *map(str, files.values()), str(tmp_path / "cut.csv.gz"), str(tmp_path / "bad.parquet"))
    assert code == 2 and "Traceback" not in err
    lines = out.splitlines()
    assert lines[0].startswith(f"a.csv.gz: {N} accepted, 0 duplicates, 0 rejected")
    assert lines[1].startswith(f"b.parquet: 0 accepted, {N} duplicates, 0 rejected")
    assert lines[2].startswith(f"c.json.zst: 0 accepted, {N} duplicates, 0 rejected")
    assert lines[3].startswith("cut.csv.gz: 0 accepted, ") and ", 1 rejected" in lines[3]
    kept = int(lines[3].split(", ")[1].split()[0])  # the rows before the cut, all stored already
    assert lines[4] == f"  rejected: cut.csv.gz: row {kept + 1}: {ENDS_EARLY} {kept} (truncated file?)"
    assert err.strip() == ("lens: bad.parquet: not a readable Parquet file (Parquet magic bytes not found in "
                           "footer. Either the file is corrupted or this is not a parquet file.); is it complete?")


# -- dashboard --------------------------------------------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "dashboard.db"
    with dashboard_database(path, monkeypatch):
        yield path


def test_the_upload_page_previews_and_ingests_parquet_and_compressed_files(db_path: Path, tmp_path: Path) -> None:
    app = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180).run()
    app.switch_page("../pages/upload.py").run()
    uploader = app.file_uploader(key="upload_files")
    assert not uploader.proto.type  # any file may be chosen: one lens cannot read gets a message, not a red chip
    assert all(suffix in uploader.label for suffix in (".parquet", ".gz", ".zst"))  # the label says what lens reads
    uploads = [("telemetry.csv.gz", encode(EVENTS[:60], "csv.gz", tmp_path), "application/gzip"),
               ("telemetry.parquet", encode(EVENTS[60:], "parquet", tmp_path), "application/octet-stream"),
               ("cut.jsonl.gz", cut(encode(EVENTS, "jsonl.gz", tmp_path)), "application/gzip")]
    uploader.set_value(uploads).run()
    assert not app.exception, [e.value for e in app.exception]
    previews = [frame.value for frame in app.dataframe]
    assert len(previews) == 3 and all(len(p) == 5 for p in previews)  # the first rows of each, read as text
    assert previews[0]["evaluation_id"].tolist() == [e["evaluation_id"] for e in EVENTS[:5]]
    assert previews[1]["evaluation_id"].tolist() == [e["evaluation_id"] for e in EVENTS[60:65]]
    app.button(key="upload_ingest").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    report = [f.value for f in app.dataframe if "accepted" in f.value.columns][-1].set_index("file")
    assert report.loc["telemetry.csv.gz", "accepted"] == 60 and report.loc["telemetry.parquet", "accepted"] == N - 60
    assert report.loc["cut.jsonl.gz", "rejected"] == 1
    rejected = [f.value for f in app.dataframe if "reason" in f.value.columns][-1]
    assert rejected["reason"].iloc[0].startswith(ENDS_EARLY)
    engine = open_engine(f"sqlite:///{db_path}")
    try:
        assert queries.count_events(engine=engine) == N
    finally:
        engine.dispose()
