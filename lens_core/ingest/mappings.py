"""Column mappings as the surfaces take them: `FIELD=COLUMN` pairs, a mapping saved under a source's name,
or both (the pairs win), resolved into one ColumnMap (lens_core.ingest.readers.mapping)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Engine

from lens_core.errors import InputError
from lens_core.ingest.readers.mapping import ColumnMap, parse_pairs
from lens_core.storage import mappings as store

_NAME_LIMIT = 100


def column_map(*, engine: Engine, pairs: Iterable[str] = (), saved: str | None = None,
               where: str = "--map") -> ColumnMap:
    """The mapping to read a file with; InputError naming an unknown saved mapping or a bad pair."""
    chosen: dict[str, str] = {}
    if saved:
        loaded = store.load(engine=engine, name=saved)
        if loaded is None:
            known = ", ".join(store.all_mappings(engine=engine)) or "none yet"
            raise InputError(f"no saved mapping named {saved!r}; saved mappings: {known}")
        chosen.update(loaded)
    chosen.update(parse_pairs(pairs, where=where))
    return ColumnMap(chosen)


def mapping_name(name: str) -> str:
    """A name to save a mapping under, checked before anything is read (InputError if unusable)."""
    name = name.strip()
    if not name or len(name) > _NAME_LIMIT:
        raise InputError(f"a mapping's name must be 1 to {_NAME_LIMIT} characters, not {name!r}")
    return name


def save_mapping(*, engine: Engine, name: str, mapping: ColumnMap) -> dict[str, str]:
    """Save what a file was read with (the pairs and the guesses, as {field: column}) under `name`."""
    name = mapping_name(name)
    fields = dict(mapping.explicit) | {field: column for column, field in mapping.renames.items()}
    store.save(engine=engine, name=name, mapping=fields)
    return fields


def saved_mappings(*, engine: Engine) -> dict[str, dict[str, str]]:
    return store.all_mappings(engine=engine)
