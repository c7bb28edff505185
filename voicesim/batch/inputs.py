"""Finding the files of a batch: audio by extension, everything else listed as skipped."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from voicesim.errors import BatchError

AUDIO_EXTENSIONS = frozenset(
    {".wav", ".wave", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".webm"}
)


@dataclass(frozen=True)
class Inputs:
    """The audio files to score and the other files found, in a stable order."""

    audio: tuple[Path, ...]
    skipped: tuple[Path, ...]


def discover(paths: Iterable[Path | str]) -> Inputs:
    """Files as given, folders walked recursively (hidden entries ignored), duplicates once."""
    audio: list[Path] = []
    skipped: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.exists():
            found = [path]
        else:
            raise BatchError(f"{path}: no such file or folder: check the path")
        for item in found:
            key = item.resolve()
            if key in seen:
                continue
            seen.add(key)
            (audio if item.suffix.lower() in AUDIO_EXTENSIONS else skipped).append(item)
    return Inputs(tuple(audio), tuple(skipped))


def file_sha256(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """sha256 of the file bytes, read in chunks (recordings can be GB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()
