"""Every storage test runs twice: on a temporary SQLite file and on a real PostgreSQL server
(``database_url``, from the tests' root conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voicesim.store.store import Store, open_store


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
