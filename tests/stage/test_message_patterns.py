"""Stored message patterns on both databases: mined at the end of every ingest over all fingerprints'
templates, one per fingerprint, idempotent, re-mined on a version bump, exported, and migrated in."""

from __future__ import annotations

import threading

from alembic import command
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from lens_core.ingest import message_patterns
from lens_core.ingest.ingestor import ingest_records
from lens_core.ingest.message_patterns import pattern_hash, refresh_message_patterns
from lens_core.parse import versions
from lens_core.runs.export import assignments_csv
from lens_core.storage import migrate, queries
from lens_core.storage.engine import init_db, make_engine
from lens_core.storage.models import ClusterAssignment, FailureFingerprint, MessagePattern, PipelineRun
from tests.stage.test_migrations import upgrade_to

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
QUOTA = [f"Mailbox of {user} is over quota" for user in USERS]  # no mask catches a user name
RESET = ["Connection reset by peer"] * 3


def records(messages: list[str], start: int = 0) -> list[dict]:
    return [{"evaluation_id": f"e-{start + i}", "customer_prompt": "send the report", "skill_output": m}
            for i, m in enumerate(messages)]


def patterns_by_id(engine: Engine) -> dict[str, str | None]:
    frame = queries.load_events_frame(engine=engine, columns=("evaluation_id", "fingerprint"))
    return dict(zip(frame["evaluation_id"], frame["message_pattern"], strict=True))


def fingerprint_patterns(engine: Engine) -> dict[str, str | None]:
    fp = FailureFingerprint.__table__
    with engine.connect() as conn:
        return dict(conn.execute(select(fp.c.hash, fp.c.message_pattern)).all())


def pattern_versions(engine: Engine) -> dict[str, str]:
    mp = MessagePattern.__table__
    with engine.connect() as conn:
        return dict(conn.execute(select(mp.c.hash, mp.c.version)).all())


def test_messages_that_differ_in_a_variable_word_share_one_stored_pattern(engine: Engine) -> None:
    report = ingest_records(records(QUOTA + RESET), engine=engine)
    assert report.accepted == 11

    stored = patterns_by_id(engine)
    quota = {stored[f"e-{i}"] for i in range(len(QUOTA))}
    assert quota == {"Mailbox of <*> is over quota"}  # eight exact fingerprints, one pattern
    assert {stored[f"e-{i}"] for i in range(len(QUOTA), 11)} == {"Connection reset by peer"}
    assert queries.count_fingerprints(engine=engine) == len(USERS) + 1
    hashes = fingerprint_patterns(engine)
    assert None not in hashes.values() and len(set(hashes.values())) == 2
    version = versions.message_pattern_version()
    assert pattern_versions(engine)[pattern_hash("Mailbox of <*> is over quota", version)] == version


def test_a_new_template_regroups_stored_fingerprints_at_the_next_ingest(engine: Engine) -> None:
    ingest_records(records(QUOTA[:2]), engine=engine)  # two users: too few values to call the word variable
    assert set(patterns_by_id(engine).values()) == {QUOTA[0], QUOTA[1]}

    ingest_records(records(QUOTA[2:], start=2), engine=engine)

    assert set(patterns_by_id(engine).values()) == {"Mailbox of <*> is over quota"}


def test_ingesting_again_changes_no_pattern(engine: Engine) -> None:
    ingest_records(records(QUOTA + RESET), engine=engine)
    before, kept = fingerprint_patterns(engine), pattern_versions(engine)

    again = ingest_records(records(QUOTA + RESET), engine=engine)

    assert again.accepted == 0 and again.duplicates == 11
    assert fingerprint_patterns(engine) == before and pattern_versions(engine) == kept
    assert refresh_message_patterns(engine=engine) == 0  # nothing left to change


def test_a_version_bump_re_mines_every_fingerprint_at_the_next_ingest(engine: Engine, monkeypatch) -> None:
    ingest_records(records(QUOTA + RESET), engine=engine)
    before = fingerprint_patterns(engine)
    old_version = versions.message_pattern_version()

    monkeypatch.setattr(versions, "PARSER_VERSION", "p-test")
    new_version = versions.message_pattern_version()
    assert new_version != old_version
    again = ingest_records(records(RESET), engine=engine)  # stores nothing new, yet re-mines

    assert again.accepted == 0
    after = fingerprint_patterns(engine)
    assert after.keys() == before.keys() and all(after[h] != before[h] for h in before)
    kept = pattern_versions(engine)
    assert {kept[p] for p in after.values()} == {new_version}
    assert old_version in kept.values()  # the old rows stay: never changed, only no longer pointed at
    assert set(patterns_by_id(engine).values()) == {"Mailbox of <*> is over quota", "Connection reset by peer"}


def test_concurrent_refreshes_leave_one_whole_mining(engine: Engine) -> None:
    ingest_records(records(QUOTA + RESET), engine=engine)
    fp = FailureFingerprint.__table__
    with engine.begin() as conn:  # as a database migrated from 0003 holds them: not mined yet
        conn.execute(fp.update().values(message_pattern=None))
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            refresh_message_patterns(engine=engine)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert set(patterns_by_id(engine).values()) == {"Mailbox of <*> is over quota", "Connection reset by peer"}
    assert refresh_message_patterns(engine=engine) == 0


def test_exported_assignments_carry_the_message_pattern(engine: Engine) -> None:
    ingest_records(records(QUOTA + RESET), engine=engine)
    run = queries.create_run(engine=engine, run=PipelineRun(algorithm="kmeans", view="error", embedder="hashing",
                                                            status="completed"))
    events = queries.load_events_frame(engine=engine)
    with engine.begin() as conn:
        conn.execute(ClusterAssignment.__table__.insert(),
                     [{"run_id": run.id, "event_id": int(i), "label": 0} for i in events["id"]])

    lines = assignments_csv(engine=engine, run_id=run.id).splitlines()

    assert lines[0] == "evaluation_id,fingerprint,message_pattern,cluster_id,run_id,pattern_id,pattern_title"
    assert lines[1].startswith("e-0,") and ",Mailbox of <*> is over quota,0," in lines[1]
    assert ",Connection reset by peer,0," in lines[-1]


def test_a_0003_database_is_upgraded_and_mined_at_the_next_ingest(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_to(engine, "0003")
    with engine.begin() as conn:
        for i, user in enumerate(USERS):
            conn.execute(text("INSERT INTO failure_fingerprints (hash, version, message_template, created_at) "
                              "VALUES (:h, 'fp2', :t, '2025-01-02 03:04:05')"),
                         {"h": f"fp-{i}", "t": f"Mailbox of {user} is over quota"})
            conn.execute(text("INSERT INTO telemetry_events (evaluation_id, customer_prompt, skill_input, "
                              "skill_output, ai_output, attributes, error_form, fingerprint, ingested_at) VALUES "
                              "(:e, 'p', '', :t, '', '{}', 'text', :h, '2025-01-02 03:04:05')"),
                         {"e": f"old-{i}", "h": f"fp-{i}", "t": f"Mailbox of {user} is over quota"})

    assert init_db(engine) == f"0003 -> {migrate.head()}"

    assert set(fingerprint_patterns(engine).values()) == {None}  # kept, not mined yet
    assert set(patterns_by_id(engine).values()) == {None}
    report = ingest_records(records(RESET), engine=engine)
    assert report.accepted == 3
    stored = patterns_by_id(engine)
    assert {stored[f"old-{i}"] for i in range(len(USERS))} == {"Mailbox of <*> is over quota"}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(MessagePattern)).scalar_one() == 2
    # And back, as lens migrates (SQLite: foreign keys off while failure_fingerprints is rebuilt).
    with migrate._migration_transaction(engine) as conn:
        command.downgrade(migrate.alembic_config(conn), "0003")
    assert "message_pattern" not in {c["name"] for c in inspect(engine).get_columns("failure_fingerprints")}
    assert not inspect(engine).has_table("message_patterns") and queries.count_events(engine=engine) == 11
    engine.dispose()


def test_patterns_are_mined_over_distinct_templates_with_their_weights() -> None:
    # Two fingerprints with one template (different status or plugin) are one template of summed weight:
    # the same patterns as mining each event, whatever the order.
    templates = QUOTA + [QUOTA[0]]
    weights = [1] * len(QUOTA) + [5]
    mined = message_patterns.mine_patterns(templates, weights)
    assert set(mined) == {"Mailbox of <*> is over quota"}
    assert message_patterns.mine_patterns(templates[::-1], weights[::-1]) == mined[::-1]
