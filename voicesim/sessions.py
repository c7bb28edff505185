"""The sessions folder: every practice call saved as ``session.json`` (plus audio when spoken).

Layout: ``<data dir>/sessions/<YYYYmmdd-HHMMSS>-<language>-<persona>-<short id>/`` with
``session.json`` (the CallRecord format, plus the trainee's name), and for voice calls
``call.wav`` (stereo: caller left, trainee right) and ``turn-NN.wav`` (each reply). The web app
and batch scoring read this same format.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicesim.core.call import CallRecord
from voicesim.errors import ConfigError

SESSION_FILE = "session.json"


def data_dir() -> Path:
    """``VOICESIM_DATA_DIR``, else ~/.local/share/voicesim (recordings are personal data: stay local)."""
    configured = os.environ.get("VOICESIM_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "voicesim"


def sessions_dir() -> Path:
    return Path(os.environ.get("VOICESIM_SESSIONS_DIR") or data_dir() / "sessions").expanduser()


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
