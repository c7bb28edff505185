"""Small fakes of the ports for fast unit tests of the loops that drive them.

They stand in for Whisper, espeak and the sound card in tests that check the *wiring*. Every
real adapter has its own tests against the real thing; a fake never replaces those.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np

from voicesim.core.levels import Level
from voicesim.core.ports import SAMPLE_RATE, Audio, Speech, Transcript


class ScriptedTranscriber:
    """Returns the next scripted text for every clip with sound, and "" for silence."""

    engine = "fake"
    model = "scripted"

    def __init__(self, texts: Iterable[str]):
        self._texts = deque(texts)
        self.calls = 0

    def transcribe(self, audio: Audio, lang: str) -> Transcript:
        self.calls += 1
        if audio.size == 0 or float(np.abs(audio).max()) < 1e-3 or not self._texts:
            return Transcript(text="", lang=lang, duration_s=audio.size / SAMPLE_RATE)
        return Transcript(
            text=self._texts.popleft(),
            lang=lang,
            duration_s=audio.size / SAMPLE_RATE,
            engine=self.engine,
            model=self.model,
        )


class ToneSynthesizer:
    """A tone instead of speech: longer for longer lines, higher and louder at higher levels."""

    seconds_per_character = 0.01

    def synthesize(self, text: str, lang: str, level: Level, voice: str | None = None) -> Speech:
        seconds = max(0.2, len(text) * self.seconds_per_character)
        t = np.arange(int(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
        frequency = 100.0 + 20.0 * int(level)
        amplitude = 0.1 + 0.05 * int(level)
        samples = (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
        return Speech(samples=samples, text=text, level=level, voice=voice or "tone")
