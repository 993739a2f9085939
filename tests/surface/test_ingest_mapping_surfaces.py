"""Column mapping on the CLI (`lens ingest --map`, `--save-mapping`, `--mapping`, `lens mappings`) and the
REST API (`POST /ingest/file?map=FIELD=COLUMN&mapping=NAME`): what was mapped is reported, a mapping that
does not fit the file is one line (422 on the API) naming it, and nothing is stored then."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from streamlit.testing.v1 import AppTest

from lens_core.storage import queries
from lens_core.storage.engine import open_engine
from tests.conftest import ROOT
from tests.surface.test_dashboard import dashboard_database

VENDOR = (b"EvaluationId,Ask,Prompt,tool_output,region\n"
          b"v1,book a room,ignored,HTTP 403 Forbidden,eu\n"
          b"v2,send the report,ignored,HTTP 429 Too Many Requests,us\n")


def post_file(client: TestClient, name: str, data: bytes, query: str = ""):
    return client.post(f"/ingest/file?name={quote(name)}{query}", content=data,
                       headers={"Content-Type": "application/octet-stream"})


def test_the_cli_maps_saves_reuses_and_lists(lens, tmp_path: Path) -> None:
    path = tmp_path / "vendor.csv"
    path.write_bytes(VENDOR)
    code, out, err = lens("ingest", str(path), "--map", "customer_prompt=Ask", "--save-mapping", "crm",
                          "--workers", "0")
    assert (code, err) == (0, ""), err
    assert "vendor.csv: mapped Ask -> customer_prompt\n" in out
    assert "vendor.csv: mapped EvaluationId -> evaluation_id (guessed)\n" in out
    assert "vendor.csv: 2 accepted, 0 duplicates, 0 rejected" in out
    assert ("saved mapping 'crm': customer_prompt=Ask evaluation_id=EvaluationId skill_output=tool_output"
            in out)
    code, out, _ = lens("mappings")
    assert (code, out) == (0, "crm: customer_prompt=Ask evaluation_id=EvaluationId skill_output=tool_output\n")
    code, out, _ = lens("ingest", str(path), "--mapping", "crm", "--workers", "0")
    assert code == 0 and "vendor.csv: 0 accepted, 2 duplicates, 0 rejected" in out


def test_the_cli_names_a_mapping_that_does_not_fit(lens, tmp_path: Path) -> None:
    path = tmp_path / "vendor.csv"
    path.write_bytes(VENDOR)
    code, out, err = lens("ingest", str(path), "--map", "customer_prompt=Question")
    assert (code, out) == (2, "")
    assert err == ("lens: vendor.csv: mapping customer_prompt=Question: the file has no column 'Question'; the "
                   "file's columns: EvaluationId, Ask, Prompt, tool_output, region\n")
    code, _, err = lens("ingest", str(path), "--map", "prompt=Ask")
    assert code == 2 and err.startswith("lens: --map 'prompt=Ask': neither 'prompt' nor 'Ask' is a lens field; the "
                                        "fields are ")
    code, _, err = lens("ingest", str(path), "--mapping", "nope")
    assert (code, err) == (2, "lens: no saved mapping named 'nope'; saved mappings: none yet\n")
    code, out, _ = lens("mappings")
    assert out.startswith("no saved mappings")
    code, out, _ = lens("ingest", str(path), "--workers", "0")  # all rows new: the refusals stored nothing
    assert "vendor.csv: 2 accepted, 0 duplicates" in out


def test_the_api_takes_repeated_map_parameters_and_names_a_bad_one(client: TestClient) -> None:
    bad = post_file(client, "vendor.csv", VENDOR, "&map=customer_prompt=Question")
    assert bad.status_code == 422
    assert "mapping customer_prompt=Question: the file has no column 'Question'" in bad.text
    unknown = post_file(client, "vendor.csv", VENDOR, "&map=prompt=Ask")
    assert unknown.status_code == 422 and "neither 'prompt' nor 'Ask' is a lens field" in unknown.text
    missing = post_file(client, "vendor.csv", VENDOR, "&mapping=nope")
    assert missing.status_code == 422 and "no saved mapping named 'nope'" in missing.text
    assert client.get("/stats/overview").json()["events"] == 0
    good = post_file(client, "vendor.csv", VENDOR, "&map=customer_prompt=Ask&map=skill_output=tool_output")
    assert good.status_code == 200, good.text
    body = good.json()
    assert (body["accepted"], body["rejected_count"]) == (2, 0)
    assert body["mapped"] == ["mapped Ask -> customer_prompt", "mapped tool_output -> skill_output",
                              "mapped EvaluationId -> evaluation_id (guessed)"]


def test_the_upload_page_maps_columns_before_ingesting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with dashboard_database(tmp_path / "dashboard.db", monkeypatch) as url:
        app = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180).run()
        app.switch_page("../pages/upload.py").run()
        app.file_uploader(key="upload_files").set_value([("vendor.csv", VENDOR, "text/csv")]).run()
        assert not app.exception, [e.value for e in app.exception]
        prompt = app.selectbox(key="upload_map_vendor.csv_customer_prompt")
        assert prompt.value == "Prompt" and prompt.options == ["(none)", "EvaluationId", "Ask", "Prompt", "tool_output",
                                                               "region"]  # the guess, "(none)" allowed
        assert app.selectbox(key="upload_map_vendor.csv_evaluation_id").value == "EvaluationId"
        assert "(none)" not in app.selectbox(key="upload_map_vendor.csv_skill_output").options  # required
        prompt.set_value("Ask").run()
        (frame,) = [f.value for f in app.dataframe]
        assert frame["customer_prompt"].tolist() == ["book a room", "send the report"]  # the preview shows the mapping
        assert frame["Prompt"].tolist() == ["ignored", "ignored"]
        app.button(key="upload_ingest").click().run()
        assert not app.exception and not app.error, [e.value for e in app.error]
        engine = open_engine(url)
        try:
            events = queries.load_events_frame(engine=engine)
        finally:
            engine.dispose()
        assert sorted(events["customer_prompt"]) == ["book a room", "send the report"]


def test_none_on_the_upload_page_leaves_a_field_empty_despite_a_column_of_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_names = (b"evaluation_id,customer_prompt,skill_output,ai_output\n"
                 b"n1,book a room,HTTP 403 Forbidden,a draft the analyst does not trust\n")
    with dashboard_database(tmp_path / "dashboard.db", monkeypatch) as url:
        app = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180).run()
        app.switch_page("../pages/upload.py").run()
        app.file_uploader(key="upload_files").set_value([("own.csv", own_names, "text/csv")]).run()
        answer = app.selectbox(key="upload_map_own.csv_ai_output")
        assert answer.value == "ai_output"  # preselected by its name
        answer.set_value("(none)").run()
        assert not app.exception, [e.value for e in app.exception]
        (frame,) = [f.value for f in app.dataframe]
        assert "ai_output" not in frame.columns and frame["customer_prompt"].tolist() == ["book a room"]
        app.button(key="upload_ingest").click().run()
        assert not app.exception and not app.error, [e.value for e in app.error]
        engine = open_engine(url)
        try:
            events = queries.load_events_frame(engine=engine)
        finally:
            engine.dispose()
        assert events["evaluation_id"].tolist() == ["n1"]
        assert not events["ai_output"].iloc[0]  # empty: the file's ai_output column was not read
        assert "a draft" not in str(events.iloc[0].to_dict())  # nor kept as an attribute
