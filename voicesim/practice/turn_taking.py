"""Turn taking: when has the trainee finished replying, and did they talk over the caller?

``TurnTaker`` is pushed 512-sample (32 ms) frames one at a time (by the live call, whatever
transport delivers them), asks a streaming VAD how likely each is speech, and decides the end
of the trainee's turn the way a patient human listener would:

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

Time is counted in frames from the first frame of the turn (not the wall clock), so the
decision is deterministic and testable with synthetic frame sequences; a live stream's frames
are contiguous, so frame time and capture time agree there. ``listen_for_reply`` runs the same
decision over an iterable of frames (tests, benchmarks).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio, FrameVad, Utterance
from voicesim.errors import ConfigError
from voicesim.settings import Settings

FRAME_SAMPLES = 512  # the frame size Silero VAD takes at 16 kHz
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE  # 32 ms

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


@dataclass(frozen=True)
class TurnStep:
    """What one frame changed (times in seconds from the start of the turn)."""

    speech_started_s: float | None = None  # a candidate reply began with this frame
    interruption_s: float | None = None  # speech over the caller's line became an interruption
    reply: Utterance | None = None  # the turn is over: the reply (empty on silence)


class TurnTaker:
    """The end-of-turn decision, one frame at a time; ``begin()`` before each turn."""

    def __init__(self, options: TurnOptions | None = None, vad: FrameVad | None = None):
        self.options = options or TurnOptions()
        self.vad = vad if vad is not None else _default_vad()
        opts = self.options
        self._end_frames = _frames_for(opts.end_of_turn_silence_ms)
        self._post_frames = min(_frames_for(opts.post_roll_ms), self._end_frames)
        self._max_frames = max(1, math.floor(opts.max_reply_s / FRAME_S))
        self.begin()

    def begin(self) -> None:
        """A new turn: forget the last one; the next frame is the turn's first."""
        self.vad.reset()
        self._history: deque[Audio] = deque(maxlen=_frames_for(self.options.pre_roll_ms))
        self._interruptions: list[float] = []
        self._candidate: _Candidate | None = None
        self._in_speech = False
        self._quiet_since = 0.0  # when the caller last stopped talking (or the turn began)
        self._index = -1  # the last frame's index in this turn

    @property
    def next_frame_s(self) -> float:
        """Where the next frame starts, in seconds from the start of the turn."""
        return (self._index + 1) * FRAME_S

    def push(self, frame: Audio, caller_speaking: bool = False) -> TurnStep:
        """One frame; ``caller_speaking``: the caller's line is playing during it."""
        opts = self.options
        self._index += 1
        index, now = self._index, self._index * FRAME_S
        threshold = opts.silence_threshold if self._in_speech else opts.speech_threshold
        self._in_speech = in_speech = self.vad.probability(frame) >= threshold
        caller = caller_speaking
        if caller:
            self._quiet_since = now + FRAME_S
        candidate = self._candidate
        started: float | None = None
        if candidate is None:
            if not in_speech:
                self._history.append(frame)
                if now + FRAME_S - self._quiet_since >= opts.no_speech_timeout_s and not caller:
                    return TurnStep(reply=_silent(now + FRAME_S, self._interruptions))
                return TurnStep()
            candidate = self._candidate = _Candidate(self._history, index)
            self._history.clear()
            started = now
        candidate.frames.append(frame)
        interrupted: float | None = None
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
                    self._interruptions.append(candidate.interrupted_at)
                    candidate.counted = True
                    interrupted = candidate.interrupted_at
        is_reply = candidate.speech_frames * FRAME_S * 1000 >= opts.min_speech_ms
        if len(candidate.frames) >= self._max_frames and is_reply:
            reply = _reply(candidate, len(candidate.frames), now + FRAME_S, self._interruptions)
            return TurnStep(started, interrupted, reply)
        if index - candidate.last_speech >= self._end_frames:
            # Speech that stopped while the caller was still talking was an interjection
            # (a reply has to go on past the end of the caller's line).
            if is_reply and not candidate.last_speech_overlapped and not caller:
                keep = len(candidate.frames) - (index - candidate.last_speech) + self._post_frames
                reply = _reply(candidate, keep, now + FRAME_S, self._interruptions)
                return TurnStep(started, interrupted, reply)
            # Noise, or an interjection over the caller's line: forget it, keep listening.
            history = self._history
            history.extend(candidate.frames[-history.maxlen:] if history.maxlen else [])
            self._candidate = None
        return TurnStep(started, interrupted)

    def finish(self) -> Utterance:
        """The stream ended before the turn did: the reply so far (empty if too short)."""
        end = (self._index + 1) * FRAME_S
        candidate = self._candidate
        if (candidate is not None
                and candidate.speech_frames * FRAME_S * 1000 >= self.options.min_speech_ms):
            return _reply(candidate, len(candidate.frames), end, self._interruptions)
        return _silent(end, self._interruptions)


def listen_for_reply(frames: Iterable[Audio], options: TurnOptions | None = None, *,
                     vad: FrameVad | None = None,
                     caller_speaking: CallerSpeaking | None = None) -> Utterance:
    """Reads frames until the trainee's reply is over; returns it (empty on no speech).

    ``caller_speaking`` tells, for a listening time in seconds, whether the caller's line is
    still playing; speech then is overtalk. All times in the Utterance are seconds from the
    first frame read. The live call pushes frames into a ``TurnTaker`` itself.
    """
    taker = TurnTaker(options, vad)
    for frame in frames:
        caller = caller_speaking(taker.next_frame_s) if caller_speaking is not None else False
        step = taker.push(frame, caller)
        if step.reply is not None:
            return step.reply
    return taker.finish()


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
