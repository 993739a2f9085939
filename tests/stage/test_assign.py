"""`lens assign`: events stored after a run join its clusters without clustering again; misfits are novel."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from lens_core.cli import app
from lens_core.cluster.assign import NOVEL, assign_new_events
from lens_core.config import Settings
from lens_core.errors import ConfigError, NotFoundError
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import queries


def _split_sample(n: int = 1500, later: int = 300) -> tuple[list[dict], list[dict], pd.Series]:
    events, truth = generate(n, seed=3)
    causes = pd.Series({t["evaluation_id"]: t["root_cause"] for t in truth})
    return events[: n - later], events[n - later :], causes


def _assigned(engine, run_id: int) -> pd.DataFrame:
    return queries.assignments_frame(engine=engine, run_id=run_id).set_index("evaluation_id")


def test_new_events_join_the_cluster_of_their_cause_and_misfits_are_novel(engine, settings: Settings) -> None:
    first, later, causes = _split_sample()
    ingest_records(first, engine=engine)
    # Density clusters of the error view hold each cause of the sample in one cluster: the test is about
    # where new events go, so it starts from clusters whose home per cause is unambiguous.
    options = ProcessOptions.of(embedder="hashing", algorithm="hdbscan", view="error")
    outcome = process(engine=engine, settings=settings, options=options)
    before = _assigned(engine, outcome.run_id)
    misfit = {"evaluation_id": "odd-1", "customer_prompt": "order pizza",
              "skill_output": "Zebra crossing quantum flux capacitor overheated on Mars rover"}
    ingest_records([*later, misfit], engine=engine)

    report = assign_new_events(engine=engine, settings=settings)
    assert report.events == len(later) + 1 and report.assigned + report.novel == report.events
    after = _assigned(engine, outcome.run_id)
    assert after.loc["odd-1", "cluster_id"] == NOVEL
    new = after.loc[[e["evaluation_id"] for e in later]]
    assert new["map_x"].isna().all() and new["distance"].notna().all()
    # Each new event lands in the cluster that holds most of its cause's earlier events.
    home = before.assign(cause=causes.loc[before.index]).groupby("cause")["cluster_id"].agg(lambda s: s.mode()[0])
    joined = new[new["cluster_id"] != NOVEL]
    agreement = (joined["cluster_id"].to_numpy() == home.loc[causes.loc[joined.index]].to_numpy()).mean()
    assert report.assigned >= 0.8 * len(later) and agreement >= 0.9

    sizes = {c.label: c.size for c in queries.clusters_of_run(engine=engine, run_id=outcome.run_id)}
    assert sum(sizes.values()) == len(first) + len(later) + 1 == queries.get_run(
        engine=engine, run_id=outcome.run_id).n_events
    assert sizes[NOVEL] == int((after["cluster_id"] == NOVEL).sum())

    again = assign_new_events(engine=engine, settings=settings)  # nothing is assigned twice
    assert again.events == 0 and len(_assigned(engine, outcome.run_id)) == len(after)


def test_assign_needs_a_completed_run_and_the_runs_own_model(sqlite_engine) -> None:
    settings = Settings(_env_file=None, embedding_backend="hashing")
    with pytest.raises(NotFoundError, match="no completed run"):
        assign_new_events(engine=sqlite_engine, settings=settings)
    first, _later, _ = _split_sample(400, 100)
    ingest_records(first, engine=sqlite_engine)
    process(engine=sqlite_engine, settings=settings, options=ProcessOptions.of(embedder="hashing", min_cluster_size=5))
    from lens_core.embed import get_embedder

    with pytest.raises(ConfigError, match="different models"):
        assign_new_events(engine=sqlite_engine, settings=settings, embedder=get_embedder("hashing", dim=64))
    with pytest.raises(ConfigError, match="distance_factor"):
        assign_new_events(engine=sqlite_engine, settings=settings, distance_factor=0)


def test_lens_assign_prints_the_split(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    first, later, _ = _split_sample(600, 100)
    from lens_core.storage.engine import open_engine

    engine = open_engine(url)
    ingest_records(first, engine=engine)
    runner = CliRunner()
    assert runner.invoke(app, ["process", "--embedder", "hashing"]).exit_code == 0
    ingest_records(later, engine=engine)
    result = runner.invoke(app, ["assign"])
    assert result.exit_code == 0, result.output
    assert "100 new events" in result.output and "assigned to clusters" in result.output
