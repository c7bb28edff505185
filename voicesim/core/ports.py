"""The ports the core drives: transcription, speech synthesis, voice activity, audio in and out.

Adapters in ``voicesim.speech`` implement them with real engines; ``voicesim.core.fakes``
has small in-package fakes for fast unit tests. Audio inside the program is always float32
mono numpy at 16 kHz (``SAMPLE_RATE``); adapters convert at the edges.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from voicesim.core.levels import Level

SAMPLE_RATE = 16_000
Audio = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Word:
    """One transcribed word with its time in the clip (seconds)."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Segment:
    """One stretch of transcribed speech."""

    text: str
    start_s: float
    end_s: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """What a transcriber heard in one clip."""

    text: str
    lang: str
    segments: tuple[Segment, ...] = ()
    duration_s: float = 0.0
    model: str = ""
    engine: str = ""


class Transcriber(Protocol):
    """Turns a clip of speech into text, in a language forced by the caller (persona)."""

    engine: str
    model: str

    def transcribe(self, audio: Audio, lang: str) -> Transcript: ...


@dataclass(frozen=True)
class Speech:
    """Synthesised caller speech: float32 mono samples at ``SAMPLE_RATE``."""

    samples: Audio
    text: str
    level: Level
    voice: str = ""

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


class Synthesizer(Protocol):
    """Speaks a caller line with prosody that follows the staircase level."""

    def synthesize(
        self, text: str, lang: str, level: Level, voice: str | None = None
    ) -> Speech: ...


@dataclass(frozen=True)
class Utterance:
    """One reply captured from the trainee, cut by voice activity detection."""

    samples: Audio
    started_s: float  # seconds from the moment listening began to the first speech
    ended_s: float  # seconds from the moment listening began to the end-of-turn decision
    interruptions: tuple[float, ...] = field(default_factory=tuple)  # times the trainee overtalked

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def is_silent(self) -> bool:
        return len(self.samples) == 0


class FrameVad(Protocol):
    """A streaming voice activity detector fed 512-sample (32 ms) frames of one stream
    (``voicesim.speech.vad.StreamingVad``; fake: ``voicesim.core.fakes.EnergyVad``)."""

    def reset(self) -> None: ...

    def probability(self, frame: Audio) -> float: ...


class PlayedLine(Protocol):
    """How a caller line went on the device (``voicesim.speech.audio_io.PlaybackResult``)."""

    @property
    def started_s(self) -> float: ...  # when its first sample was heard (the call's clock)

    @property
    def ended_s(self) -> float: ...  # when its last played sample was heard

    @property
    def played_samples(self) -> int: ...  # how much of it was played, in 16 kHz samples


class Playing(Protocol):
    """A caller line being played (``voicesim.speech.audio_io.Playback``)."""

    @property
    def is_playing(self) -> bool: ...

    def wait_started(self, timeout_s: float = 2.0) -> float: ...  # time of the first sample

    def stop(self) -> None: ...  # cut the line short

    def wait(self, timeout_s: float | None = None) -> PlayedLine: ...


class LinePlayer(Protocol):
    """Plays caller lines on a headset (``voicesim.speech.audio_io.Player``)."""

    def start(self, samples: Audio) -> Playing: ...


class FrameSource(Protocol):
    """A microphone: 512-sample float32 16 kHz frames, each with the time of its first sample
    on the call's clock (``voicesim.speech.audio_io.Microphone``)."""

    def timed_frames(self) -> Iterator[tuple[float, Audio]]: ...


class Recorder(Protocol):
    """The two-channel call recording (``voicesim.speech.recording.CallRecorder``)."""

    def add_caller(self, samples: Audio, at_s: float) -> None: ...

    def add_trainee(self, samples: Audio, at_s: float) -> None: ...

    def close(self) -> None: ...
