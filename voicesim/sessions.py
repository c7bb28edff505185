"""The sessions folder: every practice call saved as ``session.json`` (plus audio when spoken).

Layout: ``<data dir>/sessions/<YYYYmmdd-HHMMSS>-<language>-<persona>-<short id>/`` with
``session.json`` (the CallRecord format, plus the trainee's name), and for voice calls
``call.wav`` (stereo: caller left, trainee right) and ``turn-NN.wav`` (each reply). The web app
and batch scoring read this same format.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicesim.core.call import CallRecord
from voicesim.errors import ConfigError
from voicesim.settings import sessions_dir

SESSION_FILE = "session.json"


def new_session_folder(record: CallRecord, root: Path | None = None) -> Path:
    """A fresh, uniquely named folder for one call."""
    root = root or sessions_dir()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = root / f"{stamp}-{record.persona.language}-{record.persona.id}-{uuid.uuid4().hex[:6]}"
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise ConfigError(
            f"{folder}: cannot create the session folder ({exc.strerror}); "
            "set VOICESIM_DATA_DIR to a writable folder"
        ) from exc
    return folder


def save_session(
    record: CallRecord, folder: Path, trainee: str, extra: dict[str, Any] | None = None
) -> Path:
    """Write (or rewrite) session.json atomically, so a crash never leaves half a file."""
    document = {
        "format": "voicesim.session/1",
        "trainee": trainee,
        **record.to_dict(),
        **(extra or {}),
    }
    target = folder / SESSION_FILE
    partial = folder / (SESSION_FILE + ".partial")
    partial.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.replace(target)
    return target


def record_in_database(folder: Path, trainee: str) -> str:
    """Add a saved session folder to the session database, for the trainer web app.

    Returns one line for the user. The folder is already safe on disk, so a database that
    cannot be reached costs nothing: the line says how to import the folder later.
    """
    try:
        from voicesim.store.store import open_store
    except ImportError as error:  # the store extra is not installed
        return (
            f"not added to the session database ({error.name} is missing: "
            "pip install 'voicesim[store]'); the session folder is kept"
        )
    from voicesim.errors import StoreError

    try:
        store = open_store()
        try:
            session_id = store.sessions.save_session_folder(folder, trainee)
        finally:
            store.close()
    except StoreError as error:
        return (
            f"not added to the session database ({error}); "
            f"import it later with `voicesim sessions import {folder}`"
        )
    return f"in the session database as session {session_id} (review it with `voicesim serve`)"
