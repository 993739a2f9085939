"""Alembic revisions, oldest first: 0001 is the schema lens had before migrations, each later one a change."""
