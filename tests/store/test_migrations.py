"""The Alembic migrations on an empty database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from voicesim.store.database import create_engine, downgrade_database, upgrade_database
from voicesim.store.models import Base

TABLES = {
    "teams", "users", "practice_sessions", "turns", "turn_labels", "annotations",
    "acknowledgements", "batch_jobs", "batch_results", "team_trainers",
}  # fmt: skip


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_head_creates_every_table_and_downgrade_base_drops_them(database_url: str) -> None:
    assert tables(database_url) == set()
    upgrade_database(database_url)
    assert tables(database_url) == TABLES == set(Base.metadata.tables)
    upgrade_database(database_url)  # already at head: nothing to do, no error
    downgrade_database(database_url, "base")
    assert tables(database_url) == set()


def test_the_migration_matches_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade_database(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
