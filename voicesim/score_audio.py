"""Score recorded replies: decode, transcribe (VAD-gated), label. One result per file.

A file that cannot be used gets a result with ``error`` naming the file and the problem; the
other files are still scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from voicesim.core.lexicon import normalize_language
from voicesim.core.ports import SAMPLE_RATE, Transcriber
from voicesim.errors import VoicesimError
from voicesim.scoring import scorer_named


def score_audio_files(
    paths: Iterable[Path], lang: str, engine: str = "faster-whisper", model: str | None = None
) -> Iterator[dict[str, Any]]:
    """Yield one JSON-ready result per file, in order."""
    from voicesim.speech.decode import decode_file
    from voicesim.speech.transcribers import TranscriberOptions, make_transcriber

    code = normalize_language(lang)
    transcriber: Transcriber | None = None
    for path in paths:
        try:
            audio = decode_file(path)
            if transcriber is None:  # loaded once, on the first file that decodes
                transcriber = make_transcriber(TranscriberOptions(engine=engine, model=model))
            transcript = transcriber.transcribe(audio, code)
            score = scorer_named().score(transcript.text, code)
            result: dict[str, Any] = {
                "file": str(path),
                "duration_s": round(len(audio) / SAMPLE_RATE, 3),
                **score.to_dict(),
                "engine": transcriber.engine,
                "model": transcriber.model,
            }
            if not transcript.text.strip():
                result["warning"] = f"{path}: no speech found (silence or noise)"
        except VoicesimError as exc:
            result = {
                "file": str(path),
                "error": str(exc),
                "text": "",
                "labels": [],
                "evidence": [],
            }
        yield result
