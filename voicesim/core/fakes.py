"""Small fakes of the ports for fast unit tests of the loops that drive them.

They stand in for Whisper, espeak, Silero VAD, the sound card and the call recorder in tests
that check the *wiring*; a ``ManualClock`` lets a fake microphone and player run a whole call
in no time. Every real adapter has its own tests against the real thing; a fake never
replaces those.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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


class ManualClock:
    """A clock that moves only when told, so that a fake microphone and a fake player share
    time with the call without waiting for it: ``clock()`` reads it, ``advance`` moves it."""

    def __init__(self, start_s: float = 100.0):
        self.now = start_s

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class EnergyVad:
    """A voice activity detector that calls every frame louder than ``threshold`` speech."""

    def __init__(self, threshold: float = 0.05):
        self.threshold = threshold
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def probability(self, frame: Audio) -> float:
        return 1.0 if frame.size and float(np.abs(frame).max()) > self.threshold else 0.0


@dataclass(frozen=True)
class FakePlayed:
    """How a fake line went (the ``PlayedLine`` port)."""

    started_s: float
    ended_s: float
    played_samples: int


class FakePlayback:
    """A line playing in the fake clock's time: it lasts exactly its length."""

    def __init__(self, clock: ManualClock, samples: Audio, latency_s: float):
        self.clock = clock
        self.samples = samples
        self.started_s = clock() + latency_s
        self.ended_s = self.started_s + samples.size / SAMPLE_RATE
        self.stopped = False

    @property
    def is_playing(self) -> bool:
        return not self.stopped and self.clock() < self.ended_s

    def wait_started(self, timeout_s: float = 2.0) -> float:
        return self.started_s

    def stop(self) -> None:
        if self.is_playing:
            self.ended_s = max(self.started_s, self.clock())
        self.stopped = True

    def wait(self, timeout_s: float | None = None) -> FakePlayed:
        played = round((self.ended_s - self.started_s) * SAMPLE_RATE)
        return FakePlayed(self.started_s, self.ended_s, min(played, self.samples.size))


class FakePlayer:
    """Plays lines on a ``ManualClock``; keeps every line it was given."""

    def __init__(self, clock: ManualClock, latency_s: float = 0.02):
        self.clock = clock
        self.latency_s = latency_s
        self.playbacks: list[FakePlayback] = []

    def start(self, samples: Audio) -> FakePlayback:
        playback = FakePlayback(self.clock, samples, self.latency_s)
        self.playbacks.append(playback)
        return playback

    @property
    def busy(self) -> bool:
        return bool(self.playbacks) and self.playbacks[-1].is_playing


def tone(seconds: float, frequency_hz: float = 220.0, amplitude: float = 0.3) -> Audio:
    """A steady tone: "speech" to an ``EnergyVad``, and a clip a fake transcriber accepts."""
    t = np.arange(round(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)


class ScriptedMicrophone:
    """A scripted trainee on a fake microphone (the ``FrameSource`` port).

    Each time the caller has finished a line (and ``pause_s`` has passed) it says the next
    clip of ``replies`` (None: it stays silent for that line); frames are stamped on the
    shared clock, which each frame moves on by its length. It stops after ``limit_s``.
    """

    frame_samples = 512

    def __init__(self, clock: ManualClock, player: FakePlayer, replies: Iterable[Audio | None],
                 pause_s: float = 0.3, limit_s: float = 120.0):
        self.clock = clock
        self.player = player
        self.replies = deque(replies)
        self.pause_s = pause_s
        self.limit_s = limit_s

    def timed_frames(self) -> Iterator[tuple[float, Audio]]:
        frame_s = self.frame_samples / SAMPLE_RATE
        stop_at = self.clock() + self.limit_s
        answered = 0  # caller lines already answered
        speaking = np.zeros(0, dtype=np.float32)
        while self.clock() < stop_at:
            lines = len(self.player.playbacks)
            if (speaking.size == 0 and lines > answered and not self.player.busy
                    and self.clock() >= self.player.playbacks[-1].ended_s + self.pause_s):
                answered = lines
                reply = self.replies.popleft() if self.replies else None
                speaking = reply if reply is not None else speaking
            frame = np.zeros(self.frame_samples, dtype=np.float32)
            part = speaking[:self.frame_samples]
            frame[:part.size] = part
            speaking = speaking[self.frame_samples:]
            yield self.clock(), frame
            self.clock.advance(frame_s)


class ListRecorder:
    """Keeps what a call recorder would write (the ``Recorder`` port): (time, samples) pairs."""

    def __init__(self) -> None:
        self.caller: list[tuple[float, Audio]] = []
        self.trainee: list[tuple[float, Audio]] = []
        self.closed = False

    def add_caller(self, samples: Audio, at_s: float) -> None:
        self.caller.append((at_s, samples))

    def add_trainee(self, samples: Audio, at_s: float) -> None:
        self.trainee.append((at_s, samples))

    def close(self) -> None:
        self.closed = True
