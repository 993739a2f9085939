"""Queries of saved column mappings (lens_core.ingest.readers.mapping): one row per source name."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from lens_core.storage.models import ColumnMappingRow, utcnow


def save(*, engine: Engine, name: str, mapping: dict[str, str]) -> None:
    """Store (or replace) the mapping saved under `name`."""
    with Session(engine) as session:
        row = session.get(ColumnMappingRow, name)
        if row is None:
            row = ColumnMappingRow(name=name)
        row.mapping = dict(mapping)
        row.updated_at = utcnow()
        session.add(row)
        session.commit()


def load(*, engine: Engine, name: str) -> dict[str, str] | None:
    with Session(engine) as session:
        row = session.get(ColumnMappingRow, name)
        return None if row is None else dict(row.mapping)


def all_mappings(*, engine: Engine) -> dict[str, dict[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(ColumnMappingRow).order_by(ColumnMappingRow.name)).all()
        return {row.name: dict(row.mapping) for row in rows}
