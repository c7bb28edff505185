"""Where the database is, how to connect, and bringing its schema up to date.

The default is a SQLite file in the data folder, created on first use: zero setup for one
trainer's laptop. A shared deployment points ``VOICESIM_DATABASE_URL`` at PostgreSQL
(``postgresql+psycopg://user:password@host:5432/voicesim``). Every way a user can get this
wrong (a malformed URL, a missing driver, a server that does not answer) becomes one
``StoreError`` line naming the URL (password hidden) and the fix.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from voicesim.errors import StoreError
from voicesim.settings import load_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
URL_HELP = (
    "set VOICESIM_DATABASE_URL to e.g. sqlite:////path/voicesim.db "
    "or postgresql+psycopg://user:password@host:5432/voicesim"
)


@dataclass(frozen=True)
class StoreSettings:
    """Where sessions are stored and for how long; from ``VOICESIM_*`` variables."""

    database_url: str  # SQLAlchemy URL; VOICESIM_DATABASE_URL, default SQLite in the data folder
    data_folder: Path  # session folder paths in the database are relative to this
    retention_days: int | None  # VOICESIM_RETENTION_DAYS: delete older sessions; None keeps all

    @classmethod
    def from_env(cls) -> StoreSettings:
        """From the settings object (``VOICESIM_DATABASE_URL``, ``VOICESIM_RETENTION_DAYS``)."""
        settings = load_settings()
        return cls(settings.database_url, settings.data_dir, settings.retention_days)


def database_url() -> str:
    """``VOICESIM_DATABASE_URL``, else the SQLite file ``<data dir>/voicesim.db``."""
    return load_settings().database_url


def parse_url(url: str) -> URL:
    try:
        return sa.make_url(url)
    except exc.ArgumentError as error:
        raise StoreError(f"database URL {url!r} is malformed; {URL_HELP}") from error


def shown(url: str | URL) -> str:
    """The URL as it may appear in a message: password hidden."""
    try:
        return (sa.make_url(url) if isinstance(url, str) else url).render_as_string(
            hide_password=True
        )
    except exc.ArgumentError:
        return repr(url)


def one_line(error: BaseException) -> str:
    """The driver's own message, first line only (psycopg adds hints on later lines)."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


def create_engine(url: str, *, enforce_foreign_keys: bool = True) -> Engine:
    """An engine for ``url``; SQLite gets its folder created and foreign keys switched on."""
    parsed = parse_url(url)
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(
                    f"{folder}: cannot create the database folder ({error.strerror}); {URL_HELP}"
                ) from error
        options["connect_args"] = {"timeout": 30}  # wait for another writer, not fail
    else:
        options["pool_pre_ping"] = True  # a restarted server must not break the web app
    try:
        engine = sa.create_engine(parsed, **options)
    except exc.NoSuchModuleError as error:
        raise StoreError(
            f"database URL {shown(parsed)}: unknown database driver "
            f"'{parsed.drivername}'; {URL_HELP}"
        ) from error
    except ImportError as error:
        raise StoreError(
            f"database URL {shown(parsed)}: its driver is not installed ({error}); "
            "install it with: pip install 'voicesim[store]'"
        ) from error
    except exc.ArgumentError as error:
        raise StoreError(f"database URL {shown(parsed)}: {one_line(error)}; {URL_HELP}") from error
    if parsed.get_backend_name() == "sqlite" and enforce_foreign_keys:
        event.listen(engine, "connect", _sqlite_foreign_keys)
    return engine


def _sqlite_foreign_keys(connection: Any, _record: Any) -> None:
    # SQLite ignores ON DELETE CASCADE unless asked per connection.
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration, built in code: the package ships no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _migration_engine(url: str) -> Engine:
    """An engine for migrating only. On SQLite it sends BEGIN itself, so a migration's DDL is
    one transaction with its data changes (the driver would commit each CREATE at once), and
    keeps foreign keys off: rebuilding a table drops the old one, and with foreign keys on
    SQLite would first delete its rows and cascade that into every table referring to it
    (SQLite's own procedure for table changes switches them off the same way)."""
    engine = create_engine(url, enforce_foreign_keys=False)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_manual_transactions)
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
    return engine


def _sqlite_manual_transactions(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # the driver sends no BEGIN or COMMIT on its own
    connection.execute("PRAGMA foreign_keys=OFF")


def _check_sqlite_links(connection: sa.Connection) -> None:
    """Every reference still points at a row after the migration, or nothing is committed."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise StoreError(
            f"migration stopped: {len(broken)} row(s) refer to missing rows (first: "
            f"{table} row {rowid} -> {parent}); the database was left as it was"
        )


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    engine = _migration_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(connection)
            if down:
                command.downgrade(config, revision)
            else:
                command.upgrade(config, revision)
            if connection.dialect.name == "sqlite":
                _check_sqlite_links(connection)
    except exc.OperationalError as error:
        raise StoreError(
            f"database {shown(engine.url)}: cannot connect or migrate ({one_line(error)}); "
            f"check the server is running and the URL is right; {URL_HELP}"
        ) from error
    except exc.DBAPIError as error:
        raise StoreError(
            f"database {shown(engine.url)}: migration failed ({one_line(error)})"
        ) from error
    finally:
        engine.dispose()


def upgrade_database(url: str, revision: str = "head") -> None:
    """Create or update every table; safe to run on an up-to-date database."""
    _migrate(url, revision)


def downgrade_database(url: str, revision: str = "base") -> None:
    """Undo migrations down to ``revision`` (``base`` drops every table)."""
    _migrate(url, revision, down=True)


class Database:
    """One engine and its sessions; the schema is brought up to date on first use."""

    def __init__(self, url: str | None = None, *, upgrade: bool = True):
        self.url = url or database_url()
        self.engine = create_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._upgrade = upgrade
        self._ready = not upgrade
        self._lock = threading.Lock()

    def ensure_schema(self) -> None:
        with self._lock:
            if not self._ready:
                _migrate(self.url, "head")
                self._ready = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on an error."""
        self.ensure_schema()
        with self._sessions() as session:
            try:
                with session.begin():
                    yield session
            except exc.OperationalError as error:
                raise StoreError(
                    f"database {shown(self.engine.url)}: {one_line(error)}; "
                    "check the server is running and the URL is right"
                ) from error

    def dispose(self) -> None:
        self.engine.dispose()
