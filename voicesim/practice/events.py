"""What a live call tells its transport and its sinks: one typed event per thing that happened.

A ``LiveCall`` answers every input (a frame of audio, a typed reply, a playback report) with
the events it caused, in order. Transports act on some (play a ``CallerLine``), sinks on
others (the terminal screen shows lines and labels, the session folder writes turns and the
recording). All times are on the call's clock (the clock the transport stamps frames with).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voicesim.core.call import CallRecord, TurnRecord, TurnTiming
from voicesim.core.levels import Level
from voicesim.core.ports import Audio, Speech
from voicesim.core.staircase import CallerTurn
from voicesim.core.staircase_rules import Outcome


@dataclass(frozen=True)
class CallerLine:
    """The caller says this next: the transport plays ``speech`` and reports when it did."""

    line_id: int  # 0 for the opening, n for the answer to reply n
    turn: CallerTurn  # the line, the caller's level, the outcome and the rule that led here
    speech: Speech | None  # the audio to play; None in a typed call or for an empty line

    @property
    def text(self) -> str:
        return self.turn.line

    @property
    def level(self) -> Level:
        return self.turn.level

    @property
    def reason(self) -> str:
        return self.turn.transition.reason

    @property
    def last(self) -> bool:
        """The call is over after this line (resolved, hung up or ended)."""
        return self.turn.outcome is not Outcome.ONGOING


@dataclass(frozen=True)
class CallerLineStarted:
    """The transport reports: the line's first sample was heard at ``at_s``."""

    line: CallerLine
    at_s: float


@dataclass(frozen=True)
class CallerLineEnded:
    """The transport reports: the line's last played sample was heard at ``at_s``."""

    line: CallerLine
    at_s: float
    played_samples: int  # how much of it was played (16 kHz samples); less when cut short


@dataclass(frozen=True)
class TraineeAudio:
    """Audio from the trainee's microphone, as fed (the call recording's right channel)."""

    samples: Audio
    at_s: float  # the time of its first sample


@dataclass(frozen=True)
class SpeechStarted:
    """The trainee started speaking (a reply, an interjection or a cough: not decided yet)."""

    at_s: float


@dataclass(frozen=True)
class Interruption:
    """The trainee talked over the caller's line long enough to count (it angers them)."""

    at_s: float


@dataclass(frozen=True)
class ReplyHeard:
    """The trainee's turn is over and transcribed (typed calls have no such event)."""

    index: int  # 1-based number of the reply in the call
    text: str  # what the transcriber heard; "" for silence
    samples: Audio  # the reply as cut by the end-of-turn decision; empty for silence
    audio_file: str | None  # the name the reply's audio is kept under, None for silence
    timing: TurnTiming  # pace, loudness, latencies, interruptions
    decided_at_s: float  # when the end of the turn was decided


@dataclass(frozen=True)
class ReplyScored:
    """The reply's labels with their evidence, and what it did to the caller's level."""

    turn: TurnRecord


@dataclass(frozen=True)
class CallEnded:
    """The call is over: outcome, final level and the scorecard are in ``record``."""

    record: CallRecord
    by_trainee: bool  # ended by the trainee (Ctrl-C, the end of typed replies), not the caller


CallEvent = (
    CallerLine
    | CallerLineStarted
    | CallerLineEnded
    | TraineeAudio
    | SpeechStarted
    | Interruption
    | ReplyHeard
    | ReplyScored
    | CallEnded
)
EventSink = Callable[[CallEvent], None]


def fan_out(*sinks: EventSink | None) -> EventSink:
    """One sink that hands every event to each of ``sinks`` in order (None ones skipped)."""
    chosen = [sink for sink in sinks if sink is not None]

    def send(event: CallEvent) -> None:
        for sink in chosen:
            sink(event)

    return send
