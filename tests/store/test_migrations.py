"""The Alembic migrations on an empty database, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from voicesim.store.database import create_engine, downgrade_database, upgrade_database
from voicesim.store.models import Base

TABLES = {
    "teams", "users", "practice_sessions", "turns", "turn_labels", "annotations",
    "acknowledgements", "batch_jobs", "batch_results", "team_trainers", "sign_ins",
    "sign_in_throttle",
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


def _insert(db: sa.Connection, sql: str, **values: object) -> int:
    """INSERT ... RETURNING id, with the id left to the database (as the app does)."""
    return int(db.execute(sa.text(sql + " RETURNING id"), values).scalar_one())


def _clauses(sql: str) -> tuple[str, ...]:
    """A CREATE statement as its head and its sorted top-level clauses (order may differ)."""
    text = " ".join(sql.replace('"', "").split())
    if "(" not in text or not text.startswith("CREATE TABLE"):
        return (text,)
    head, body = text.split("(", 1)
    parts, depth, current = [], 0, ""
    for char in body.rsplit(")", 1)[0]:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return (head.strip(), *sorted([*parts, current.strip()]))


def _schema(url: str) -> list[tuple[str, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            rows = db.execute(sa.text(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
                "ORDER BY type, name")).scalars()  # fmt: skip
            return [_clauses(str(sql)) for sql in rows]
    finally:
        engine.dispose()


def test_an_upgraded_database_keeps_its_rows_and_never_reuses_an_id(
    database_url: str, tmp_path: Path
) -> None:
    """0004: on SQLite every table is rebuilt with AUTOINCREMENT (ids of removed rows are never
    handed out again; PostgreSQL's sequences never did), keeping every row and link."""
    upgrade_database(database_url, "0003")
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    try:
        with engine.begin() as db:
            users = {name: _insert(db, "INSERT INTO users (name, role, password_hash, created_at) "
                                       "VALUES (:n, :r, 'x', :t)", n=name, r=role, t=now)
                     for name, role in (("tom", "trainer"), ("alice", "trainee"), ("zed", "admin"))}  # fmt: skip
            session = _insert(db, "INSERT INTO practice_sessions (folder, persona_id, language, "
                                  "title, mode, trainee_id, started_at, outcome, imported_at) "
                                  "VALUES ('f', 'p', 'en', '', 'text', :u, :t, 'ended', :t)",
                              u=users["alice"], t=now)  # fmt: skip
            turn = _insert(db, 'INSERT INTO turns (session_id, "index", caller_line, level, '
                               "reply_text, rule, reason, from_level, to_level) "
                               "VALUES (:s, 1, 'hi', 2, 'ok', 'r', '', 2, 2)", s=session)  # fmt: skip
            _insert(db, "INSERT INTO annotations (turn_id, author_id, author_name, comment, "
                        "created_at) VALUES (:turn, :u, 'tom', 'well done', :t)",
                    turn=turn, u=users["tom"], t=now)  # fmt: skip
            job = _insert(db, "INSERT INTO batch_jobs (status, files_total, files_done, settings, "
                              "created_at) VALUES ('done', 1, 1, '{}', :t)", t=now)  # fmt: skip
        upgrade_database(database_url)
        with engine.begin() as db:
            assert db.execute(sa.text("SELECT comment FROM annotations")).scalar_one() == "well done"
            db.execute(sa.text("DELETE FROM users WHERE name = 'zed'"))
            db.execute(sa.text("DELETE FROM batch_jobs"))
            again = _insert(db, "INSERT INTO users (name, role, created_at) "
                                "VALUES ('new-admin', 'admin', :t)", t=now)  # fmt: skip
            assert again > users["zed"]
            assert _insert(db, "INSERT INTO batch_jobs (status, files_total, files_done, "
                               "settings, created_at) VALUES ('queued', 0, 0, '{}', :t)",
                           t=now) > job  # fmt: skip
            db.execute(sa.text("DELETE FROM users WHERE name = 'alice'"))  # links still cascade
            assert db.execute(sa.text("SELECT count(*) FROM practice_sessions")).scalar_one() == 0
            assert db.execute(sa.text("SELECT count(*) FROM annotations")).scalar_one() == 0
    finally:
        engine.dispose()
    if database_url.startswith("sqlite"):
        fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
        upgrade_database(fresh)
        assert _schema(database_url) == _schema(fresh)  # exactly what a new database gets
        with_ids = [t for t in _schema(fresh) if any(c.startswith("id INTEGER") for c in t)]
        assert len(with_ids) == 10  # every table with an id, the sign-ins included
        assert all("id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in t for t in with_ids)
