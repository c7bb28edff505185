"""The live call: audio frames (or typed replies) in, events out, whatever carries them.

``LiveCall`` owns everything between the trainee's microphone and the caller's voice: the
end-of-turn decision (VAD), transcription, scoring, the staircase engine and the caller's
speech synthesis. It touches no device, file or socket. A transport (the headset loop, a
browser connection, a test) feeds it and acts on the events it returns:

* ``feed_audio(samples, at_s)``: 16 kHz float32 mono audio of any length, stamped with the
  time of its first sample; it is cut into 32 ms VAD frames here.
* ``feed_text(text)``: a typed reply (text mode).
* ``caller_started(line_id, at_s)`` / ``caller_stopped(line_id, at_s, played_samples)``: the
  transport's report of when a ``CallerLine`` really reached the trainee's ears, and when it
  stopped (or was cut off). Latency, talk-over and the response time are measured from these.
* ``end()``: the trainee hangs up (Ctrl-C, a closed browser tab).

Every time is on one clock, ``clock`` (``time.monotonic`` by default): the transport must
stamp frames and playback on the same clock. One transport thread drives one call (it is not
thread-safe); transcription blocks that thread, so a server runs each call in its own worker
and a shared, batching ``Transcriber`` can serve many calls at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from voicesim.core.call import CallRecord, PracticeCall, Scorer, TurnTiming
from voicesim.core.personas import Persona
from voicesim.core.ports import (
    SAMPLE_RATE,
    Audio,
    FrameVad,
    Synthesizer,
    Transcriber,
    Utterance,
)
from voicesim.core.staircase import CallerTurn
from voicesim.practice.events import (
    CallEnded,
    CallerLine,
    CallerLineEnded,
    CallerLineStarted,
    CallEvent,
    Interruption,
    ReplyHeard,
    ReplyScored,
    SpeechStarted,
    TraineeAudio,
)
from voicesim.practice.turn_taking import FRAME_SAMPLES, TurnOptions, TurnTaker
from voicesim.scoring import scorer_named
from voicesim.store.session_folder import reply_audio_name

Clock = Callable[[], float]
# A chunk stamped further than this (one VAD frame) from where the last one ended starts a
# fresh stretch (audio was lost, or a new stream began); smaller differences are the jitter of
# a transport's stamps and are ignored, so small chunks still join into whole frames.
_GAP_S = FRAME_SAMPLES / SAMPLE_RATE


@dataclass(frozen=True)
class TurnMeasure:
    """Where one turn's time went after the trainee stopped speaking (seconds)."""

    transcribe_s: float
    score_s: float  # scoring and the engine's decision
    tts_s: float
    playback_start_s: float  # from handing the line to the transport to its first sample
    total_s: float  # end-of-turn decision to the caller's first sample


def loudness_dbfs(samples: Audio) -> float:
    """RMS level in dB relative to full scale (-120 for silence)."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    return 20 * math.log10(rms) if rms > 1e-9 else -120.0


@dataclass
class _Line:
    """The caller line now out with the transport, and what it reported about it."""

    event: CallerLine
    handed_at: float  # when it was handed to the transport
    started_at: float | None = None
    ended_at: float | None = None
    played_samples: int | None = None
    pending: tuple[float, float, float, float] | None = None  # decided, transcribe, score, tts

    @property
    def duration_s(self) -> float:
        speech = self.event.speech
        return speech.duration_s if speech is not None else 0.0

    def speaking_at(self, at_s: float) -> bool:
        """Is the caller audible at ``at_s``? Until the transport reports the end, the line
        counts as playing for its length from its start (from now if not started yet)."""
        if self.event.speech is None:
            return False
        if self.ended_at is not None:
            return at_s < self.ended_at
        if self.started_at is not None:
            return at_s < self.started_at + self.duration_s
        return True

    def end_estimate(self) -> float:
        if self.ended_at is not None:
            return self.ended_at
        return (self.started_at if self.started_at is not None else self.handed_at) + (
            self.duration_s
        )


class LiveCall:
    """One practice call driven by a transport; see the module's docstring."""

    def __init__(
        self,
        persona: Persona,
        *,
        transcriber: Transcriber | None = None,
        synthesizer: Synthesizer | None = None,
        vad: FrameVad | None = None,
        turn_options: TurnOptions | None = None,
        seed: int | None = None,
        scorer: Scorer | None = None,
        clock: Clock = time.monotonic,
    ):
        """Without a transcriber the call is typed (``feed_text``); with one it listens
        (``feed_audio``) through ``vad`` (Silero when None)."""
        self.persona = persona
        self.transcriber = transcriber
        self.synthesizer = synthesizer
        self.clock = clock
        self.mode = "voice" if transcriber is not None else "text"
        self.practice = PracticeCall(
            persona, seed=seed, mode=self.mode, scorer=scorer or scorer_named().score
        )
        self.turns = TurnTaker(turn_options, vad) if transcriber is not None else None
        self.measures: list[TurnMeasure] = []
        self._line: _Line | None = None
        self._listen_from = -math.inf  # audio from before this is not part of the reply
        self._listening_since: float | None = None  # time of this turn's first frame
        self._pending = np.zeros(0, dtype=np.float32)  # audio not yet a whole frame
        self._pending_at = 0.0  # time of the first pending sample

    @property
    def record(self) -> CallRecord:
        return self.practice.record

    @property
    def over(self) -> bool:
        return self.practice.over

    def start(self) -> list[CallEvent]:
        """The caller's opening line."""
        return self._say(self.practice.start(), 0)

    def feed_text(self, text: str) -> list[CallEvent]:
        """A typed reply: scored at once; the caller answers."""
        record, answer = self.practice.answer(text)
        return [ReplyScored(record), *self._say(answer, record.index)]

    def feed_audio(self, samples: Audio, at_s: float) -> list[CallEvent]:
        """Microphone audio whose first sample was captured at ``at_s``."""
        chunk = np.asarray(samples, dtype=np.float32).reshape(-1)
        events: list[CallEvent] = [TraineeAudio(chunk, at_s)]
        if self.turns is None or self.over or chunk.size == 0:
            return events
        if (
            self._pending.size == 0
            or abs(at_s - (self._pending_at + self._pending.size / SAMPLE_RATE)) > _GAP_S
        ):
            self._pending, self._pending_at = chunk, at_s  # a fresh stretch (or after a gap)
        else:
            self._pending = np.concatenate([self._pending, chunk])
        while self._pending.size >= FRAME_SAMPLES and not self.over:
            frame, stamp = self._pending[:FRAME_SAMPLES], self._pending_at
            self._pending = self._pending[FRAME_SAMPLES:]
            self._pending_at += FRAME_SAMPLES / SAMPLE_RATE
            events += self._hear(frame, stamp)
        return events

    def caller_started(self, line_id: int, at_s: float) -> list[CallEvent]:
        """The transport heard line ``line_id``'s first sample go out at ``at_s``."""
        line = self._line
        if line is None or line.event.line_id != line_id or line.started_at is not None:
            return []  # a late report about a line that is no longer current
        line.started_at = at_s
        if line.pending is not None:
            self._measured(line, at_s)
        return [CallerLineStarted(line.event, at_s)]

    def caller_stopped(self, line_id: int, at_s: float, played_samples: int) -> list[CallEvent]:
        """Line ``line_id`` stopped at ``at_s`` (finished or cut off) after ``played_samples``."""
        line = self._line
        if line is None or line.event.line_id != line_id or line.ended_at is not None:
            return []
        line.ended_at, line.played_samples = at_s, played_samples
        return [CallerLineEnded(line.event, at_s, played_samples)]

    def end(self) -> list[CallEvent]:
        """The trainee ends the call where it stands; the scorecard is still built."""
        if self.over:
            return []
        self.practice.end()
        return [CallEnded(self.record, by_trainee=True)]

    # -- listening -----------------------------------------------------------------------------

    def _hear(self, frame: Audio, at_s: float) -> list[CallEvent]:
        """One VAD frame of the trainee's side."""
        if at_s < self._listen_from or self.turns is None:
            return []  # captured while the call was busy answering: not part of a reply
        if self._listening_since is None:
            self._listening_since = at_s
        line = self._line
        step = self.turns.push(frame, line is not None and line.speaking_at(at_s))
        since = self._listening_since
        events: list[CallEvent] = []
        if step.speech_started_s is not None:
            events.append(SpeechStarted(since + step.speech_started_s))
        if step.interruption_s is not None:
            events.append(Interruption(since + step.interruption_s))
        if step.reply is not None:
            events += self._answer(step.reply, since)
        return events

    def _answer(self, utterance: Utterance, since: float) -> list[CallEvent]:
        """The turn is over: transcribe, score, and let the caller answer."""
        assert self.transcriber is not None  # a call listens only when it has one
        decided = self.clock()
        began = time.perf_counter()
        text = (
            ""
            if utterance.is_silent
            else self.transcriber.transcribe(utterance.samples, self.persona.language).text
        )
        transcribe_s = time.perf_counter() - began
        index = len(self.record.turns) + 1
        audio_file = None if utterance.is_silent else reply_audio_name(index)
        timing = self._timing(utterance, since, text)
        heard = ReplyHeard(index, text, utterance.samples, audio_file, timing, decided)
        began = time.perf_counter()
        record, answer = self.practice.answer(text, timing, audio_file)
        score_s = time.perf_counter() - began
        return [
            heard,
            ReplyScored(record),
            *self._say(answer, index, (decided, transcribe_s, score_s)),
        ]

    def _timing(self, utterance: Utterance, since: float, text: str) -> TurnTiming:
        line = self._line
        line_end = line.end_estimate() if line is not None else since
        caller_s = 0.0
        if line is not None:
            caller_s = (
                line.played_samples / SAMPLE_RATE
                if line.played_samples is not None
                else line.duration_s
            )
        speaking_s = utterance.duration_s
        speech_start = since + utterance.started_s
        return TurnTiming(
            response_latency_s=0.0 if utterance.is_silent else max(0.0, speech_start - line_end),
            speaking_s=speaking_s,
            words_per_minute=60 * len(text.split()) / speaking_s if speaking_s > 0 else 0.0,
            loudness_dbfs=loudness_dbfs(utterance.samples),
            interruptions=len(utterance.interruptions),
            caller_speaking_s=caller_s,
        )

    # -- speaking ------------------------------------------------------------------------------

    def _say(
        self, turn: CallerTurn, line_id: int, measured: tuple[float, float, float] | None = None
    ) -> list[CallEvent]:
        """Voice the caller's line and hand it out; listening starts again from here."""
        began = time.perf_counter()
        speech = (
            self.synthesizer.synthesize(
                turn.line, self.persona.language, turn.level, self.persona.voice
            )
            if self.synthesizer is not None and turn.line
            else None
        )
        tts_s = time.perf_counter() - began
        event = CallerLine(line_id, turn, speech)
        handed = self.clock()
        line = _Line(event, handed)
        if measured is not None:
            line.pending = (*measured, tts_s)
        self._line = line
        self._listen_from, self._listening_since = handed, None
        self._pending = np.zeros(0, dtype=np.float32)
        if self.turns is not None:
            self.turns.begin()
        if speech is None and line.pending is not None:
            self._measured(line, handed)  # nothing to play: the caller's turn is now
        events: list[CallEvent] = [event]
        if self.over:
            events.append(CallEnded(self.record, by_trainee=False))
        return events

    def _measured(self, line: _Line, first_sample_at: float) -> None:
        """The caller is audible: the reply's system latency is known."""
        assert line.pending is not None
        decided, transcribe_s, score_s, tts_s = line.pending
        line.pending = None
        total_s = max(0.0, first_sample_at - decided)
        self.measures.append(
            TurnMeasure(transcribe_s, score_s, tts_s, first_sample_at - line.handed_at, total_s)
        )
        turns = self.record.turns
        last = turns[-1]
        if last.timing is not None:
            turns[-1] = replace(last, timing=replace(last.timing, system_latency_s=total_s))
