"""The session folder as an event sink, and the hand-over of a finished call to the database.

``SessionWriter`` keeps the folder up to date while the call runs: ``session.json`` after
every reply (Ctrl-C or a crash keeps everything said so far), each reply's ``turn-NN.wav``,
and both parties in the stereo ``call.wav`` placed at the times the transport reported. The
folder format itself is ``voicesim.store.session_folder``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voicesim.core.call import CallRecord
from voicesim.core.ports import Recorder
from voicesim.errors import StoreError
from voicesim.practice.events import (
    CallEnded,
    CallerLineStarted,
    CallEvent,
    ReplyHeard,
    ReplyScored,
    TraineeAudio,
)
from voicesim.store.session_folder import CALL_AUDIO_FILE, save_session, write_mono_wav


class SessionWriter:
    """Writes one call's folder from its events."""

    def __init__(
        self,
        folder: Path,
        record: CallRecord,
        trainee: str,
        *,
        recorder: Recorder | None = None,
        details: dict[str, Any] | None = None,
    ):
        """``record`` is the live call's own (it grows as the call goes); ``recorder`` writes
        ``call.wav``; ``details`` are extra session.json fields (the Whisper engine, model)."""
        self.folder = folder
        self.record = record
        self.trainee = trainee
        self.recorder = recorder
        self.details = dict(details or {})
        if recorder is not None:
            self.details["audio"] = CALL_AUDIO_FILE

    def __call__(self, event: CallEvent) -> None:
        if isinstance(event, TraineeAudio):
            if self.recorder is not None:
                self.recorder.add_trainee(event.samples, event.at_s)
        elif isinstance(event, CallerLineStarted):
            speech = event.line.speech
            if self.recorder is not None and speech is not None:
                self.recorder.add_caller(speech.samples, event.at_s)
            self.save()  # the reply before this line now has its system latency
        elif isinstance(event, ReplyHeard):
            if event.audio_file is not None:
                write_mono_wav(self.folder / event.audio_file, event.samples)
        elif isinstance(event, ReplyScored | CallEnded):
            self.save()

    def save(self) -> Path:
        return save_session(self.record, self.folder, self.trainee, self.details or None)


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
