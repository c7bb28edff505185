"""Receiving a batch upload: every file checked by name and content, saved, and queued.

Files that cannot be scored (empty, text renamed ``.wav``, an unsupported format) are not
saved; each becomes a result row with a one-line error, so the job's results account for
every file that was sent.
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from voicesim.batch.inputs import file_sha256
from voicesim.batch.sniff import HEAD_BYTES, upload_problem
from voicesim.core.lexicon import SUPPORTED_LANGUAGES
from voicesim.errors import VoicesimError
from voicesim.store.access import Viewer
from voicesim.store.batch_jobs import UPLOADS
from voicesim.store.store import Store

ENGINES = ("faster-whisper", "openai-whisper")
CHANNELS = ("left", "right")


@dataclass(frozen=True)
class UploadChoices:
    """How the uploaded files are to be scored (the form's or the API's fields)."""

    lang: str = "en"
    agent_channel: str = "left"
    engine: str = "faster-whisper"

    def check(self) -> None:
        if self.lang not in SUPPORTED_LANGUAGES:
            raise VoicesimError(
                f"language {self.lang!r}: use one of {', '.join(SUPPORTED_LANGUAGES)}"
            )
        if self.agent_channel not in CHANNELS:
            raise VoicesimError(f"agent channel {self.agent_channel!r}: use left or right")
        if self.engine not in ENGINES:
            raise VoicesimError(f"engine {self.engine!r}: use one of {', '.join(ENGINES)}")


MAX_NAME = 200  # characters of an uploaded file's name kept for display
MAX_SUFFIX = 16  # an extension longer than this is not one we know anyway


def display_name(raw: str | None, taken: set[str]) -> str:
    """The uploaded name without any folder part, made unique within the job; a long name is
    cut in its stem, so its extension (what decides whether it is audio) stays."""
    name = re.split(r"[\\/]", raw or "")[-1].strip() or "unnamed"
    if len(name) > MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        if dot and stem and len(suffix) <= MAX_SUFFIX:
            name = stem[: MAX_NAME - len(suffix) - 1] + "." + suffix
        else:
            name = name[:MAX_NAME]
    candidate, number = name, 2
    while candidate in taken:
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem} ({number}).{suffix}" if dot else f"{name} ({number})"
        number += 1
    taken.add(candidate)
    return candidate


def stored_name(index: int, name: str) -> str:
    """A safe file name on the server: a number and the name's harmless characters."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "audio"
    return f"{index:03d}-{safe[-80:]}"


def receive_upload(
    store: Store, data_folder: Path, files: list[UploadFile], choices: UploadChoices, viewer: Viewer
) -> int:
    """Save the good files, note the bad ones, create the queued job; returns its id."""
    choices.check()
    sent = [f for f in files if f.filename]
    if not sent:
        raise VoicesimError("no files: choose one or more audio files to upload")
    relative = f"{UPLOADS}/{uuid.uuid4().hex[:12]}"
    folder = data_folder / relative
    folder.mkdir(parents=True, exist_ok=True)
    accepted: list[dict[str, Any]] = []
    rejected: list[dict[str, str]] = []
    taken: set[str] = set()
    try:
        for index, upload in enumerate(sent, start=1):
            name = display_name(upload.filename, taken)
            head = upload.file.read(HEAD_BYTES)
            problem = upload_problem(name, head)
            if problem:
                rejected.append({"name": name, "error": problem})
                continue
            target = folder / stored_name(index, name)
            with target.open("wb") as out:
                out.write(head)
                shutil.copyfileobj(upload.file, out, 1 << 20)
            accepted.append({"name": name, "stored": target.name, "sha256": file_sha256(target),
                             "bytes": target.stat().st_size})  # fmt: skip
        settings = {
            "lang": choices.lang,
            "agent_channel": choices.agent_channel,
            "engine": choices.engine,
            "model": None,
            "folder": relative,
            "files": accepted,
            "rejected": rejected,
        }
        return store.batch_jobs.create_job(settings, len(accepted) + len(rejected), viewer.name)
    except OSError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise VoicesimError(
            f"cannot save the upload ({error.strerror}); check free disk space in {data_folder}"
        ) from error
    except BaseException:
        # No job refers to these files: nothing would ever show or delete them.
        shutil.rmtree(folder, ignore_errors=True)
        raise


def upload_path(data_folder: Path, settings: dict[str, Any], name: str) -> Path | None:
    """Where the file uploaded as ``name`` was saved, if it was (rejected files were not)."""
    item = next((f for f in settings.get("files", []) if f["name"] == name), None)
    if item is None:
        return None
    folder = (data_folder / str(settings["folder"])).resolve()
    path = (folder / item["stored"]).resolve()
    return path if path.is_relative_to(folder) and path.is_file() else None
