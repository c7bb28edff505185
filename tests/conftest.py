"""Every test gets its own data folder, so no test reads or writes the user's sessions or
session database; a test that needs a particular folder sets its own.

``database_url`` runs a test twice: on a temporary SQLite file and on a real PostgreSQL
server, started once for the test run (each test gets a fresh database on it). When it cannot
start, the PostgreSQL half of every such test fails with the reason: storage must be tested
against the real thing (scripts/setup.sh installs postgresql).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.postgres import PostgresServer, PostgresUnavailable

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    folder = tmp_path_factory.mktemp("voicesim-data")
    monkeypatch.setenv("VOICESIM_DATA_DIR", str(folder))
    monkeypatch.delenv("VOICESIM_SESSIONS_DIR", raising=False)
    monkeypatch.delenv("VOICESIM_DATABASE_URL", raising=False)
    # `--scorer` sets VOICESIM_SCORER for worker processes; setting it here first makes the
    # test's end restore it, so one test's flag never leaks into the next.
    monkeypatch.setenv("VOICESIM_SCORER", "hybrid")
    return folder


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


def new_database_url(kind: str, folder: Path, postgres: PostgresServer | str) -> str:
    """An empty database of ``kind`` (sqlite or postgresql): a file in ``folder`` or a fresh
    database on the test server."""
    if kind == "sqlite":
        return f"sqlite:///{folder / f'db-{next(_counter)}' / 'voicesim.db'}"
    if isinstance(postgres, str):
        pytest.fail(f"PostgreSQL could not be started for the storage tests: {postgres}")
    return postgres.create_database(f"voicesim_test_{next(_counter)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer | str
) -> str:
    return new_database_url(request.param, tmp_path, postgres)
