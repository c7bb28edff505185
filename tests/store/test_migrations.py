"""The Alembic migrations on an empty database, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

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


def test_upgrading_keeps_existing_notes_with_their_authors_name(database_url: str) -> None:
    """0003 moves notes to a kept author name; a database with notes upgrades intact."""
    upgrade_database(database_url, "0002")
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    try:
        with engine.begin() as db:
            db.execute(
                sa.text(
                    "INSERT INTO users (id, name, role, created_at) "
                    "VALUES (1, 'tom', 'trainer', :t), (2, 'alice', 'trainee', :t)"
                ),
                {"t": now},
            )
            db.execute(
                sa.text(
                    "INSERT INTO practice_sessions (id, folder, persona_id, language, title, mode, "
                    "trainee_id, started_at, outcome, imported_at) "
                    "VALUES (1, 'f', 'p', 'en', '', 'text', 2, :t, 'ended', :t)"
                ),
                {"t": now},
            )
            db.execute(
                sa.text(
                    'INSERT INTO turns (id, session_id, "index", caller_line, level, reply_text, rule, '
                    "reason, from_level, to_level) VALUES (1, 1, 1, 'hi', 2, 'ok', 'r', '', 2, 2)"
                )
            )
            db.execute(
                sa.text(
                    "INSERT INTO annotations (turn_id, author_id, comment, created_at) "
                    "VALUES (1, 1, 'well done', :t)"
                ),
                {"t": now},
            )
        upgrade_database(database_url)
        with engine.begin() as db:
            assert db.execute(sa.text("SELECT author_name, comment FROM annotations")).one() == (
                "tom",
                "well done",
            )
            db.execute(sa.text("DELETE FROM users WHERE name = 'tom'"))
            assert db.execute(sa.text("SELECT author_id, author_name FROM annotations")).one() == (
                None,
                "tom",
            )
    finally:
        engine.dispose()
