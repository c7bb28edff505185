"""Turn taking: when has the trainee finished replying, and did they talk over the caller?

``listen_for_reply`` reads 512-sample (32 ms) frames, asks a streaming VAD how likely each is
speech, and decides the end of the trainee's turn the way a patient human listener would:

* Speech starts a *candidate* reply. The frames just before it (pre-roll) are kept, because a
  VAD only fires some tens of ms into a word and clipping the onset costs Whisper the word.
* Thinking pauses inside a reply are normal; only ``end_of_turn_silence_ms`` of non-speech ends
  it. A little of that silence (post-roll) stays in the clip so the last word is not cut.
* A candidate with less than ``min_speech_ms`` of speech (a cough, a click, a breath) is
  dropped, as is one whose speech stops while the caller is still talking: that was an
  interjection, and the reply is what the trainee says after (or on past) the caller's line.
  Speech over the caller's line is recorded as an interruption either way.
* A reply is cut at ``max_reply_s`` (Whisper's window is 30 s), and if nobody speaks for
  ``no_speech_timeout_s`` after the caller finished, an empty Utterance comes back so the
  caller can ask "Hello? Are you still there?".

Time is counted in frames from the first frame read (not the wall clock), so the function is
deterministic and testable with synthetic frame sequences; a live microphone's frames arrive
in real time, so frame time and wall time agree there.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio, Utterance
from voicesim.errors import ConfigError
from voicesim.settings import Settings

FRAME_SAMPLES = 512  # the frame size Silero VAD takes at 16 kHz
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE  # 32 ms


class FrameVad(Protocol):
    """A streaming voice activity detector (``voicesim.speech.vad.StreamingVad``)."""

    def reset(self) -> None: ...

    def probability(self, frame: Audio) -> float: ...


CallerSpeaking = Callable[[float], bool]  # listening time (s) -> is the caller's line playing?


@dataclass(frozen=True)
class TurnOptions:
    """How patiently the simulated caller listens (``from_settings``: ``VOICESIM_<FIELD>``)."""

    # Non-speech after speech that ends the reply: the trainee's thinking-pause patience.
    # 700 ms lets people pause mid-sentence without the caller cutting in.
    end_of_turn_silence_ms: int = 700
    # Longest reply kept (s); the turn ends there. Whisper's window is 30 s.
    max_reply_s: float = 30.0
    # Silence this long (s) after the caller finished gives an empty Utterance.
    no_speech_timeout_s: float = 8.0
    # Audio kept from before the first speech frame so the first syllable is not clipped.
    pre_roll_ms: int = 300
    # Trailing non-speech kept after the last speech frame so the last word is not cut.
    post_roll_ms: int = 300
    # VAD probability from which a frame counts as speech (Silero's usual 0.5).
    speech_threshold: float = 0.5
    # Probability under which a frame ends speech again; below speech_threshold (hysteresis)
    # so a soft syllable in the middle of a word does not flicker the state.
    silence_threshold: float = 0.35
    # A candidate with less speech than this (ms) is noise (cough, click), not a reply.
    min_speech_ms: int = 250
    # Speech over the caller's line counts as an interruption once it lasts this long (ms);
    # shorter overlaps are back-channel ("mm", "yes") or echo.
    min_interruption_ms: int = 250

    def __post_init__(self) -> None:
        for name in ("end_of_turn_silence_ms", "max_reply_s", "no_speech_timeout_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"turn option {name} must be positive, got "
                                  f"{getattr(self, name)}; set VOICESIM_{name.upper()} > 0")
        for name in ("pre_roll_ms", "post_roll_ms", "min_speech_ms", "min_interruption_ms"):
            if getattr(self, name) < 0:
                raise ConfigError(f"turn option {name} must not be negative, got "
                                  f"{getattr(self, name)}; set VOICESIM_{name.upper()} >= 0")
        if not 0.0 < self.silence_threshold <= self.speech_threshold < 1.0:
            raise ConfigError(
                f"VAD thresholds must satisfy 0 < silence ({self.silence_threshold}) <= speech "
                f"({self.speech_threshold}) < 1; fix VOICESIM_SILENCE_THRESHOLD / "
                "VOICESIM_SPEECH_THRESHOLD")

    @classmethod
    def from_settings(cls, settings: Settings) -> TurnOptions:
        """The settings object's fields of the same names (flags and ``VOICESIM_*``)."""
        return cls(
            end_of_turn_silence_ms=settings.end_of_turn_silence_ms,
            max_reply_s=settings.max_reply_s,
            no_speech_timeout_s=settings.no_speech_timeout_s,
            pre_roll_ms=settings.pre_roll_ms,
            post_roll_ms=settings.post_roll_ms,
            speech_threshold=settings.speech_threshold,
            silence_threshold=settings.silence_threshold,
            min_speech_ms=settings.min_speech_ms,
            min_interruption_ms=settings.min_interruption_ms,
        )


def frames_of(audio: Audio) -> Iterator[Audio]:
    """Cuts a clip into VAD frames, the last one padded with silence."""
    samples = np.asarray(audio, dtype=np.float32).reshape(-1)
    for start in range(0, samples.size, FRAME_SAMPLES):
        frame = samples[start:start + FRAME_SAMPLES]
        if frame.size < FRAME_SAMPLES:
            frame = np.concatenate([frame, np.zeros(FRAME_SAMPLES - frame.size, np.float32)])
        yield frame


def _frames_for(ms: float) -> int:
    return math.ceil(ms / 1000 / FRAME_S)


class _Candidate:
    """Speech that may become the reply: its frames, where speech was, what overlapped."""

    def __init__(self, pre_roll: Iterable[Audio], first_index: int):
        self.frames = list(pre_roll)
        self.first_speech = first_index  # frame index of the first speech frame
        self.last_speech = first_index
        self.speech_frames = 0
        self.last_speech_overlapped = False  # the caller was talking at the last speech frame
        self.overlap_frames = 0  # speech frames while the caller was talking
        self.interrupted_at = 0.0  # listening time of the first overlapping speech frame (s)
        self.counted = False  # already listed as an interruption


def listen_for_reply(frames: Iterable[Audio], options: TurnOptions | None = None, *,
                     vad: FrameVad | None = None,
                     caller_speaking: CallerSpeaking | None = None) -> Utterance:
    """Reads frames until the trainee's reply is over; returns it (empty on no speech).

    ``caller_speaking`` tells, for a listening time in seconds, whether the caller's line is
    still playing (live: ``lambda _: playback.is_playing``); speech then is overtalk. All times
    in the Utterance are seconds from the first frame read.
    """
    opts = options or TurnOptions()
    detector = vad if vad is not None else _default_vad()
    detector.reset()
    history: deque[Audio] = deque(maxlen=_frames_for(opts.pre_roll_ms))
    end_frames = _frames_for(opts.end_of_turn_silence_ms)
    post_frames = min(_frames_for(opts.post_roll_ms), end_frames)
    max_frames = max(1, math.floor(opts.max_reply_s / FRAME_S))
    interruptions: list[float] = []
    candidate: _Candidate | None = None
    in_speech = False
    quiet_since = 0.0  # when the caller last stopped talking (or listening began)
    index = -1
    for index, frame in enumerate(frames):
        now = index * FRAME_S
        threshold = opts.silence_threshold if in_speech else opts.speech_threshold
        in_speech = detector.probability(frame) >= threshold
        caller = caller_speaking(now) if caller_speaking is not None else False
        if caller:
            quiet_since = now + FRAME_S
        if candidate is None:
            if not in_speech:
                history.append(frame)
                if now + FRAME_S - quiet_since >= opts.no_speech_timeout_s and not caller:
                    return _silent(now + FRAME_S, interruptions)
                continue
            candidate = _Candidate(history, index)
            history.clear()
        candidate.frames.append(frame)
        if in_speech:
            candidate.last_speech = index
            candidate.last_speech_overlapped = caller
            candidate.speech_frames += 1
            if caller:
                candidate.overlap_frames += 1
                if candidate.overlap_frames == 1:
                    candidate.interrupted_at = now
                if (candidate.overlap_frames * FRAME_S * 1000 >= opts.min_interruption_ms
                        and not candidate.counted):
                    interruptions.append(candidate.interrupted_at)
                    candidate.counted = True
        is_reply = candidate.speech_frames * FRAME_S * 1000 >= opts.min_speech_ms
        if len(candidate.frames) >= max_frames and is_reply:
            return _reply(candidate, len(candidate.frames), now + FRAME_S, interruptions)
        if index - candidate.last_speech >= end_frames:
            # Speech that stopped while the caller was still talking was an interjection
            # (a reply has to go on past the end of the caller's line).
            if is_reply and not candidate.last_speech_overlapped and not caller:
                keep = len(candidate.frames) - (index - candidate.last_speech) + post_frames
                return _reply(candidate, keep, now + FRAME_S, interruptions)
            # Noise, or an interjection over the caller's line: forget it, keep listening.
            history.extend(candidate.frames[-history.maxlen:] if history.maxlen else [])
            candidate = None
    end = (index + 1) * FRAME_S
    if candidate is not None and candidate.speech_frames * FRAME_S * 1000 >= opts.min_speech_ms:
        return _reply(candidate, len(candidate.frames), end, interruptions)
    return _silent(end, interruptions)


def _reply(candidate: _Candidate, keep: int, decided_at: float,
           interruptions: list[float]) -> Utterance:
    samples = np.concatenate(candidate.frames[:keep]).astype(np.float32)
    return Utterance(samples=samples, started_s=candidate.first_speech * FRAME_S,
                     ended_s=decided_at, interruptions=tuple(interruptions))


def _silent(at: float, interruptions: list[float]) -> Utterance:
    return Utterance(samples=np.zeros(0, dtype=np.float32), started_s=at, ended_s=at,
                     interruptions=tuple(interruptions))


def _default_vad() -> FrameVad:
    """The Silero VAD from ``voicesim.speech.vad`` (loaded only when no VAD is passed in)."""
    from voicesim.speech.vad import StreamingVad

    vad: FrameVad = StreamingVad()
    return vad
