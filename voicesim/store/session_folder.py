"""The session folder: how one practice call is kept on disk, for the web app and batch scoring.

Layout: ``<sessions dir>/<YYYYmmdd-HHMMSS>-<language>-<persona>-<short id>/`` with
``session.json`` (the ``CallRecord`` format plus the trainee's name and, for spoken calls, the
audio file and the Whisper engine and model), and for spoken calls ``call.wav`` (stereo: caller
left, trainee right) and ``turn-NN.wav`` (each reply, mono 16 kHz).

Only the format lives here (standard library and numpy, no SQLAlchemy): the practice call
writes folders with it, the store's importer reads them.
"""

from __future__ import annotations

import json
import uuid
import wave
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from voicesim.core.call import CallRecord
from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import ConfigError

SESSION_FILE = "session.json"
SESSION_FORMAT = "voicesim.session/1"
CALL_AUDIO_FILE = "call.wav"  # the whole call, stereo: caller left, trainee right


def reply_audio_name(index: int) -> str:
    """The file name of reply ``index`` (1-based): ``turn-01.wav``."""
    return f"turn-{index:02d}.wav"


def new_session_folder(record: CallRecord, root: Path) -> Path:
    """A fresh, uniquely named folder for one call under ``root``."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = root / f"{stamp}-{record.persona.language}-{record.persona.id}-{uuid.uuid4().hex[:6]}"
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise ConfigError(
            f"{folder}: cannot create the session folder ({exc.strerror}); "
            "set VOICESIM_DATA_DIR (or --sessions-dir) to a writable folder"
        ) from exc
    return folder


def save_session(
    record: CallRecord, folder: Path, trainee: str, extra: dict[str, Any] | None = None
) -> Path:
    """Write (or rewrite) session.json atomically, so a crash never leaves half a file."""
    document = {
        "format": SESSION_FORMAT,
        "trainee": trainee,
        **record.to_dict(),
        **(extra or {}),
    }
    target = folder / SESSION_FILE
    partial = folder / (SESSION_FILE + ".partial")
    partial.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.replace(target)
    return target


def write_mono_wav(path: Path, samples: Audio) -> None:
    """A reply's audio as 16-bit mono WAV at the program's rate."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
