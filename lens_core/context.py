"""One application context for every surface: the settings, the engine and the embedders of a process.

    ctx = build_context()          # Settings from get_settings(); nothing is opened yet
    ctx.engine                     # opened (tables migrated) on first use, then kept
    ctx.embedder("minilm")         # built once per backend name, then shared: its model loads once

The CLI (`lens_core.cli`), the API (`lens_api.app`) and the dashboard (`app.context`) each build theirs
with `build_context` and hand its parts to the core, which never builds clients itself (ARCHITECTURE
rule 6). Building opens nothing, so the API starts with its database down; an engine that could not be
opened is tried again on the next use. The embedders are shared by everything the process runs: the
API's background jobs and its assign-on-arrival requests use the same loaded model, and the dashboard
shares one set between its sessions (it passes the same `embedders` mapping to every context).
"""

from __future__ import annotations

import threading
from collections.abc import MutableMapping

from sqlalchemy.engine import Engine

from lens_core.config import Settings, get_settings
from lens_core.embed import Embedder, get_embedder
from lens_core.storage.engine import open_engine


class AppContext:
    """The settings, the engine (opened on first use) and one embedder per backend name."""

    def __init__(
        self, settings: Settings, engine: Engine | None = None, *,
        embedders: MutableMapping[str, Embedder] | None = None,
    ) -> None:
        self.settings = settings
        self._engine = self._given = engine
        self._embedders: MutableMapping[str, Embedder] = {} if embedders is None else embedders
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine of settings.database_url (or the one given), opened once; a failure is not kept."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = open_engine(self.settings.database_url)
        return self._engine

    @property
    def url(self) -> str:
        """The database's URL: the key of anything cached per database."""
        return self.settings.database_url

    def embedder(self, name: str | None = None) -> Embedder:
        """The embedder registered as `name` (default: settings.embedding_backend), one per context.

        Building an embedder loads nothing (its model loads on the first `embed`), so two threads that
        build one at once lose nothing: the first stored is the one both get and keep using.
        """
        name = name or self.settings.embedding_backend
        kept = self._embedders.get(name)
        if kept is None:
            kept = self._embedders.setdefault(name, get_embedder(name, self.settings))
        return kept

    def close(self) -> None:
        """Dispose of the engine if this context opened it (one handed in belongs to whoever made it)."""
        with self._lock:
            engine, self._engine = self._engine, self._given
        if engine is not None and engine is not self._given:
            engine.dispose()


def build_context(
    settings: Settings | None = None, *, engine: Engine | None = None,
    embedders: MutableMapping[str, Embedder] | None = None,
) -> AppContext:
    """The one factory of AppContext: `settings` (default: get_settings()), an `engine` to use instead of
    opening settings.database_url, and `embedders` to share with other contexts of the process."""
    return AppContext(settings if settings is not None else get_settings(), engine, embedders=embedders)
