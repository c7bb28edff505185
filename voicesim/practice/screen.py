"""How a call looks in the terminal: the caller's line, the staircase, labels and the scorecard.

``Screen`` is an event sink of the live call (typed or spoken alike): it shows what the events
say and takes no part in the call. Colour only when writing to a terminal (and ``NO_COLOR`` is
unset), so piped output stays plain.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from voicesim.core.call import TurnRecord
from voicesim.core.labels import HARMFUL, Label
from voicesim.core.levels import Level
from voicesim.core.personas import Persona
from voicesim.core.scorecard import Scorecard
from voicesim.core.staircase import CallerTurn
from voicesim.practice.events import CallEnded, CallerLine, CallEvent, ReplyHeard, ReplyScored

_LEVEL_COLOUR = {1: "32", 2: "33", 3: "33;1", 4: "31", 5: "31;1"}


class Screen:
    """Writes the call to a text stream, coloured when it is a terminal."""

    def __init__(self, persona: Persona, out: TextIO | None = None, colour: bool | None = None):
        self.persona = persona
        self.out = out if out is not None else sys.stdout  # read now: tests swap sys.stdout
        if colour is None:
            colour = self.out.isatty() and "NO_COLOR" not in os.environ
        self.colour = colour

    def __call__(self, event: CallEvent) -> None:
        """Show what the call did (the sink interface)."""
        if isinstance(event, CallerLine):
            self.caller(event.turn)
        elif isinstance(event, ReplyHeard):
            self.write(f"you (heard): {event.text or '(silence)'}")
        elif isinstance(event, ReplyScored):
            self.labels(event.turn)
        elif isinstance(event, CallEnded):
            if event.by_trainee:
                self.write("\n(call ended by you)")
            if event.record.scorecard:
                self.scorecard(event.record.scorecard)

    def _c(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def write(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def staircase(self, level: Level) -> str:
        """A five-step bar: the caller's level at a glance."""
        steps = "".join("■" if step <= level else "□" for step in range(1, 6))
        return self._c(f"{steps} level {int(level)}/5 {level.title}", _LEVEL_COLOUR[int(level)])

    def briefing(self) -> None:
        persona = self.persona
        self.write(
            self._c(f"{persona.title}", "1")
            + f"  [{persona.id}, {persona.language}, {persona.difficulty}]"
        )
        self.write(persona.fill(persona.briefing))
        self.write(
            self._c("Answer as the agent. An empty line is silence; Ctrl-D ends the call.", "2")
        )
        self.write()

    def caller(self, turn: CallerTurn) -> None:
        if not turn.line:
            return
        self.write(f"{self.staircase(turn.level)}")
        self.write(self._c(f"{self.persona.caller_name}: ", "1") + turn.line)

    def labels(self, record: TurnRecord) -> None:
        """What the scorer heard in the reply, quoted, and what it did to the caller."""
        if not record.score.labels:
            self.write(self._c("  (no moves detected)", "2"))
        for item in record.score.evidence:
            colour = "31" if item.label in HARMFUL else "36"
            extra = (
                f", {record.score.apology}"
                if item.label is Label.APOLOGY and record.score.apology
                else ""
            )
            self.write(f'  {self._c(str(item.label), colour)}{extra}: "{item.phrase}"')
        self.write(self._c(f"  -> {record.transition.reason}", "2"))
        self.write()

    def scorecard(self, card: Scorecard) -> None:
        self.write()
        self.write(self._c(f"Scorecard: {card.outcome}, overall {card.overall}/100", "1"))
        self.write(
            f"  final level {int(card.final_level)} ({card.final_level.title}), "
            f"peak {int(card.peak_level)}, {card.turns} replies"
        )
        for dimension in card.dimensions:
            rating = "n/a" if dimension.rating is None else f"{dimension.rating:>3}"
            self.write(f"  {dimension.name.replace('_', ' '):<17}{rating}  {dimension.summary}")
            for quote in dimension.quotes[:4]:
                self.write(
                    self._c(f'      turn {quote.turn} ({quote.label}): "{quote.phrase}"', "2")
                )
        self.write(self._c("Coaching tips:", "1"))
        for tip in card.tips:
            self.write(f"  * {tip}")
