"""A fix that held for some of a pattern's error messages, in Chromium: the queue shows the resolved pattern
again, as regressed; its page says which messages stopped and offers to split off those that go on; one
click makes them a pattern of their own and the fixed pattern leaves the queue.

Its own server and database (tests/browser/conftest.py's fixtures are per module): the data is made with
lens_core directly (tests.surface.conftest.partly_fixed), as a team's telemetry would have arrived.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lens_core.config import Settings
from lens_core.storage import tracking as store
from lens_core.storage.engine import open_engine
from lens_core.tracking import curation, queue, titles
from tests.browser.conftest import CHROMIUM, NO_CHROMIUM
from tests.browser.test_e2e import UI_TIMEOUT_MS, settle, shot
from tests.surface.conftest import partly_fixed

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM, allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)").expect


@pytest.fixture(scope="module")
def fixed(database: Path) -> tuple[int, str]:
    url = f"sqlite:///{database}"
    engine = open_engine(url)
    try:
        return partly_fixed(engine, Settings(_env_file=None, database_url=url, embedding_backend="hashing"))
    finally:
        engine.dispose()


def test_a_fix_that_held_for_some_messages_is_split_from_the_others(fixed: tuple[int, str], database: Path,
                                                                     server: str, browser: object,
                                                                     screenshots: Path) -> None:
    pattern, stopped = fixed
    engine = open_engine(f"sqlite:///{database}")
    title = titles.titles_of(engine=engine)[pattern]
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(server)  # the queue is the landing page
    page.get_by_text("Triage queue").wait_for()
    settle(page)
    shot(page, "18-patterns-regressed-back-in-the-queue")
    assert pattern in [s.pattern_id for s in queue.summaries(engine=engine)]

    run = store.latest_tracked_run(engine=engine)
    page.goto(f"{server}/pattern?run={run}&pattern={pattern}")
    page.get_by_role("heading", name=title, exact=True).wait_for()
    hint = page.get_by_text("Suggested by the evidence: split off the")
    hint.wait_for()
    expect(hint).to_contain_text("the fix held for that one; the others look like another failure")
    settle(page)
    hint.scroll_into_view_if_needed()
    shot(page, "18-pattern-fix-held-for-some-messages")

    page.get_by_role("button", name="Split them off").click()
    page.get_by_text("Split off: new pattern").wait_for()
    settle(page)
    rule = curation.history(engine=engine, pattern_id=pattern)[-1]
    assert rule.kind == "split" and stopped not in rule.params["parts"]
    [part] = set(rule.params["parts"].values())
    assert titles.titles_of(engine=engine)[part] == f"{title} · still failing after the fix"
    assert pattern not in [s.pattern_id for s in queue.summaries(engine=engine)]  # fixed: out of the queue
    assert dialogs == []
    context.close()
    engine.dispose()
