"""Every storage test runs twice: on a temporary SQLite file and on a real PostgreSQL server.

The PostgreSQL server is started once for the test run; each test gets a fresh database on
it. When it cannot start, the PostgreSQL half of every test fails with the reason: storage
must be tested against the real thing (scripts/setup.sh installs postgresql).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.postgres import PostgresServer, PostgresUnavailable
from voicesim.store.store import Store, open_store

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | str]:
    """The running server, or the reason it could not start."""
    try:
        server = PostgresServer()
    except PostgresUnavailable as error:
        yield str(error)
        return
    try:
        server.start()
    except (PostgresUnavailable, OSError, TimeoutError) as error:
        server.stop()
        yield str(error)
        return
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer | str
) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'voicesim.db'}"
    if isinstance(postgres, str):
        pytest.fail(f"PostgreSQL could not be started for the storage tests: {postgres}")
    return postgres.create_database(f"voicesim_test_{next(_counter)}")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("VOICESIM_DATA_DIR", str(folder))
    monkeypatch.delenv("VOICESIM_SESSIONS_DIR", raising=False)
    return folder


@pytest.fixture
def store(database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("VOICESIM_DATABASE_URL", database_url)
    opened = open_store(database_url, data_dir)
    yield opened
    opened.close()
