"""One practice call: the persona, the engine and the scorer, turn by turn.

The text mode, the voice loop and the browser all drive this same object; they differ only in
where the reply text comes from and where the caller's line goes. The record it produces
(``CallRecord.to_dict``) is the session format the web app and batch scoring reuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from voicesim.core.labels import ReplyScore
from voicesim.core.levels import Level
from voicesim.core.personas import Persona
from voicesim.core.scorecard import Scorecard, ScoredTurn, build_scorecard
from voicesim.core.scorer import score_reply
from voicesim.core.staircase import CallerTurn, StaircaseEngine, Transition
from voicesim.core.staircase_rules import EngineOptions, Outcome
from voicesim.errors import CallOverError

Scorer = Callable[[str, str], ReplyScore]


@dataclass(frozen=True)
class TurnTiming:
    """Paraverbal facts of one spoken reply (absent in text mode)."""

    response_latency_s: float  # from the end of the caller's line to the trainee's first word
    speaking_s: float  # how long the trainee spoke
    words_per_minute: float
    loudness_dbfs: float  # RMS level of the reply, dB relative to full scale
    interruptions: int = 0  # times the trainee talked over the caller
    caller_speaking_s: float = 0.0  # how long the caller's line took to say
    system_latency_s: float = (
        0.0  # end-of-turn decision to the caller's first sample (voicesim's own delay)
    )

    def to_dict(self) -> dict[str, float | int]:
        return {
            "response_latency_s": round(self.response_latency_s, 3),
            "speaking_s": round(self.speaking_s, 3),
            "words_per_minute": round(self.words_per_minute, 1),
            "loudness_dbfs": round(self.loudness_dbfs, 1),
            "interruptions": self.interruptions,
            "caller_speaking_s": round(self.caller_speaking_s, 3),
            "system_latency_s": round(self.system_latency_s, 3),
        }


@dataclass(frozen=True)
class TurnRecord:
    """The caller's line, the trainee's reply to it, and what it did to the caller."""

    index: int
    caller: str
    level: Level  # the level the caller was at when saying ``caller``
    score: ReplyScore
    transition: Transition
    timing: TurnTiming | None = None
    audio_file: str | None = None  # the reply's audio, relative to the session folder

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "caller": self.caller,
            "level": int(self.level),
            "reply": self.score.text,
            "labels": [str(label) for label in self.score.labels],
            "evidence": [item.to_dict() for item in self.score.evidence],
            "apology": str(self.score.apology) if self.score.apology else None,
            "question": str(self.score.question) if self.score.question else None,
            "transition": self.transition.to_dict(),
            "timing": self.timing.to_dict() if self.timing else None,
            "audio_file": self.audio_file,
        }


@dataclass
class CallRecord:
    """Everything about one call; ``to_dict`` is the stable session/JSON format."""

    persona: Persona
    seed: int | None
    started_at: str
    mode: str
    turns: list[TurnRecord] = field(default_factory=list)
    closing: CallerTurn | None = None
    scorecard: Scorecard | None = None

    def to_dict(self) -> dict[str, Any]:
        closing = self.closing
        return {
            "persona": self.persona.id,
            "language": self.persona.language,
            "title": self.persona.title,
            "mode": self.mode,
            "seed": self.seed,
            "started_at": self.started_at,
            "outcome": str(closing.outcome) if closing else str(Outcome.ONGOING),
            "final_level": int(closing.level) if closing else None,
            "turns": [turn.to_dict() for turn in self.turns],
            "closing": {
                "caller": closing.line,
                "level": int(closing.level),
                "transition": closing.transition.to_dict(),
            }
            if closing
            else None,
            "scorecard": self.scorecard.to_dict() if self.scorecard else None,
        }


class PracticeCall:
    """Drive a call: ``start()``, then ``answer(text)`` until ``over``; ``end()`` stops early."""

    def __init__(
        self,
        persona: Persona,
        seed: int | None = None,
        mode: str = "text",
        options: EngineOptions | None = None,
        scorer: Scorer = score_reply,
    ):
        self.persona = persona
        self.engine = StaircaseEngine(persona, seed=seed, options=options)
        self._scorer = scorer
        self.record = CallRecord(
            persona, seed, datetime.now(UTC).isoformat(timespec="seconds"), mode
        )
        self._current: CallerTurn | None = None

    @property
    def over(self) -> bool:
        return self.engine.outcome is not Outcome.ONGOING

    @property
    def current(self) -> CallerTurn:
        if self._current is None:
            raise CallOverError("the call has not started: call start() first")
        return self._current

    def start(self) -> CallerTurn:
        self._current = self.engine.opening()
        return self._current

    def answer(
        self, text: str, timing: TurnTiming | None = None, audio_file: str | None = None
    ) -> tuple[TurnRecord, CallerTurn]:
        """Score the trainee's reply to the current line; return its record and the caller's answer."""
        asked = self.current
        score = self._scorer(text, self.persona.language)
        answer = self.engine.respond(score, timing.interruptions if timing else 0)
        record = TurnRecord(
            len(self.record.turns) + 1,
            asked.line,
            asked.level,
            score,
            answer.transition,
            timing,
            audio_file,
        )
        self.record.turns.append(record)
        self._current = answer
        if self.over:
            self._close(answer)
        return record, answer

    def end(self) -> CallerTurn:
        """Stop the call where it stands (no more replies, Ctrl-C); the scorecard is still built."""
        closing = self.engine.end_call() if not self.over else self.current
        self._current = closing
        self._close(closing)
        return closing

    def _close(self, closing: CallerTurn) -> None:
        self.record.closing = closing
        turns = [
            ScoredTurn(t.index, t.level, t.score, t.transition.rule, t.transition.to_level)
            for t in self.record.turns
        ]
        self.record.scorecard = build_scorecard(
            turns,
            closing.outcome,
            closing.level,
            self.persona.temper.start_level,
            self.persona.fill(self.persona.side_grievance),
        )
