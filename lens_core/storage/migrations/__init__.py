"""lens's Alembic migrations: env.py and versions/, run programmatically by lens_core.storage.migrate."""
