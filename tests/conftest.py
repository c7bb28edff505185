"""Every test gets its own data folder, so no test reads or writes the user's sessions or
session database; a test that needs a particular folder sets its own."""

from __future__ import annotations

from pathlib import Path

import pytest


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
