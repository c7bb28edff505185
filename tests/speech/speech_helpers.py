"""Shared helpers for the speech tests: real espeak-ng speech and simple acoustic measures.

``espeak_to_audio`` calls the espeak-ng command line, a separate process from pyttsx3, so tests
of the TTS adapter can compare against an independent rendering, and tests of VAD and turn
taking get real speech without depending on the adapter under test.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.speech.resample import resample


def espeak_to_audio(text: str, voice: str = "en-us", rate: int | None = None, *,
                    pitch: int | None = None, amplitude: int | None = None,
                    word_gap: int | None = None) -> Audio:
    """``text`` spoken by the espeak-ng CLI, as float32 mono 16 kHz."""
    binary = shutil.which("espeak-ng")
    assert binary, "espeak-ng is not installed (Debian: apt-get install espeak-ng)"
    command = [binary, "-v", voice, "--stdout"]
    for flag, value in (("-s", rate), ("-p", pitch), ("-a", amplitude), ("-g", word_gap)):
        if value is not None:
            command += [flag, str(value)]
    result = subprocess.run([*command, text], capture_output=True, check=True, timeout=60)
    with wave.open(io.BytesIO(result.stdout), "rb") as clip:
        rate_hz = clip.getframerate()
        pcm = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    return resample(pcm.astype(np.float32) / 32768.0, rate_hz, SAMPLE_RATE)


def silence(seconds: float, noise: float = 0.0, seed: int = 0) -> Audio:
    """``seconds`` of silence, optionally with faint white noise (a quiet room)."""
    count = round(seconds * SAMPLE_RATE)
    if noise <= 0:
        return np.zeros(count, dtype=np.float32)
    return (np.random.default_rng(seed).standard_normal(count) * noise).astype(np.float32)


def rms(audio: Audio) -> float:
    """Root-mean-square level over the voiced part (frames above a small floor)."""
    frames = _frames(audio, 0.02)
    level = np.sqrt((frames ** 2).mean(axis=1))
    voiced = level[level > 0.005]
    return float(np.sqrt((voiced ** 2).mean())) if voiced.size else 0.0


def speech_seconds(audio: Audio, floor: float = 0.01) -> float:
    """Duration from the first to the last 20 ms frame louder than ``floor`` (RMS)."""
    level = np.sqrt((_frames(audio, 0.02) ** 2).mean(axis=1))
    loud = np.flatnonzero(level > floor)
    return float((loud[-1] - loud[0] + 1) * 0.02) if loud.size else 0.0


def median_pitch_hz(audio: Audio, low_hz: float = 60.0, high_hz: float = 400.0) -> float:
    """Median F0 by autocorrelation over clearly voiced 40 ms frames (10 ms hop)."""
    size, hop = int(0.04 * SAMPLE_RATE), int(0.01 * SAMPLE_RATE)
    shortest, longest = int(SAMPLE_RATE / high_hz), int(SAMPLE_RATE / low_hz)
    pitches = []
    for start in range(0, len(audio) - size, hop):
        frame = audio[start:start + size].astype(np.float64)
        if np.sqrt((frame ** 2).mean()) < 0.02:
            continue
        frame -= frame.mean()
        corr = np.correlate(frame, frame, "full")[size - 1:]
        lag = shortest + int(np.argmax(corr[shortest:longest]))
        if corr[lag] > 0.5 * corr[0]:  # periodic enough to be voiced
            pitches.append(SAMPLE_RATE / lag)
    return float(np.median(pitches)) if pitches else 0.0


def best_lag(reference: Audio, recorded: Audio) -> tuple[int, float]:
    """(lag in samples, normalised correlation) where ``reference`` best matches ``recorded``."""
    size = len(recorded) + len(reference)
    spectrum = np.fft.rfft(recorded, size)
    kernel = np.fft.rfft(reference[::-1], size)
    corr = np.fft.irfft(spectrum * kernel, size)[len(reference) - 1:len(recorded)]
    lag = int(np.argmax(corr))
    segment = recorded[lag:lag + len(reference)]
    head = reference[:len(segment)]
    score = float(np.corrcoef(head, segment)[0, 1]) if len(segment) > 1 else 0.0
    return lag, score


def _frames(audio: Audio, seconds: float) -> np.ndarray[tuple[int, int], np.dtype[np.float64]]:
    size = int(seconds * SAMPLE_RATE)
    usable = len(audio) // size * size
    return np.asarray(audio[:usable], dtype=np.float64).reshape(-1, size)
