"""Real session folders for the storage tests, made by running text practice calls."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from voicesim.cli import main
from voicesim.settings import sessions_dir
from voicesim.store.session_folder import SESSION_FILE, write_mono_wav

REPLIES = "I am so sorry. What happened?\nCalm down, as I said.\n"


def practice_folder(tmp_path: Path, trainee: str = "alice") -> Path:
    """Run `voicesim practice --text` (the real command) and return the folder it saved.

    Scored by the lexicons: the store and web tests check what is kept and shown, and their
    expected labels and scores must not move when the hybrid scorer is retrained."""
    replies = tmp_path / "replies.txt"
    replies.write_text(REPLIES, encoding="utf-8")
    before = set(sessions_dir().glob("*")) if sessions_dir().exists() else set()
    # The command also records the call in the session database; point that at a scratch
    # file, so a test's own database holds only the sessions the test imports.
    saved_url = os.environ.get("VOICESIM_DATABASE_URL")
    os.environ["VOICESIM_DATABASE_URL"] = f"sqlite:///{tmp_path / 'practice-scratch.db'}"
    try:
        code = main(
            ["practice", "--persona", "valentine-gift", "--text", "--replies", str(replies),
             "--seed", "1", "--json", "--trainee", trainee, "--scorer", "lexicon"]
        )  # fmt: skip
    finally:
        if saved_url is None:
            del os.environ["VOICESIM_DATABASE_URL"]
        else:
            os.environ["VOICESIM_DATABASE_URL"] = saved_url
    assert code == 0
    (folder,) = set(sessions_dir().glob("*")) - before
    return folder


def variant(source: Path, name: str, with_audio: bool = False, **changes: Any) -> Path:
    """A copy of a session folder with some session.json fields changed (and audio if asked)."""
    folder = source.parent / name
    shutil.copytree(source, folder)
    document = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
    document.update(changes)
    if with_audio:
        tone = (0.2 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 220)).astype(np.float32)
        write_mono_wav(folder / "call.wav", tone)
        write_mono_wav(folder / "turn-01.wav", tone)
        document.update(mode="voice", audio="call.wav", engine="faster-whisper", model="tiny.en")
        document["turns"][0]["audio_file"] = "turn-01.wav"
        document["turns"][0]["timing"] = {"response_latency_s": 0.4, "speaking_s": 1.0}
    (folder / SESSION_FILE).write_text(json.dumps(document), encoding="utf-8")
    return folder
