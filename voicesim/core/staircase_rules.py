"""The transition rules of the conflict staircase, as data a trainer can read.

Which moves calm the caller at each level, how much anger each harmful move adds, and the
engine's tuning knobs. DOMAIN.md's table is the source: listening works at levels 1-2,
refocusing at 3, a boundary and owning the misstep at 4; arguing, blaming and brushing the
caller off escalate everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from voicesim.core.labels import Label
from voicesim.core.levels import Level

# Calming points a move earns at a level (before diminishing returns). Moves absent from a
# level's table do nothing there: a refocus while the caller is telling their story, say.
CALMING_WEIGHTS: dict[Level, dict[Label, float]] = {
    Level.DISAGREEMENT: {
        Label.EMPATHY: 1.0,
        Label.PARAPHRASE: 1.0,
        Label.QUESTION: 1.0,
        Label.APOLOGY: 1.0,
    },
    Level.BLAME: {
        Label.QUESTION: 1.0,
        Label.EMPATHY: 1.0,
        Label.PARAPHRASE: 1.0,
        Label.APOLOGY: 1.0,
    },
    Level.MORE_PROBLEMS: {
        Label.REFOCUS: 1.0,
        Label.EMPATHY: 0.5,
        Label.PARAPHRASE: 0.5,
        Label.APOLOGY: 0.5,
    },
    Level.HOSTILITY: {Label.BOUNDARY: 1.0, Label.APOLOGY: 1.0, Label.EMPATHY: 0.25},
}

# Anger points each harmful move adds; the caller steps up when anger reaches their fuse.
ANGER_WEIGHTS: dict[Label, float] = {
    Label.DISMISSIVE: 1.0,
    Label.ARGUE: 1.0,
    Label.BLAME_SHIFT: 1.0,
    Label.VAGUE_PROMISE: 0.5,
}

# Moves that show the caller they are heard; their points count toward ``heard_needed``.
LISTENING_MOVES = frozenset({Label.EMPATHY, Label.PARAPHRASE, Label.QUESTION, Label.APOLOGY})


@dataclass(frozen=True)
class EngineOptions:
    """Tuning of the dialogue engine; the defaults follow DOMAIN.md."""

    repeat_decay: float = 0.5  # each earlier use of the same move at this level halves it again
    max_calm_per_reply: float = 1.5  # feeling heard takes more than one sentence, however good
    blanket_apology_weight: float = 0.5  # "sorry for everything" counts half a specific apology
    closed_question_weight: float = 0.5  # a closed question gathers a fact; an open one
    # invites the story, which is what the course asks for (counts in full)
    idle_anger: float = 0.25  # anger from a reply with no useful move, at levels 2-4
    premature_anger: float = 0.5  # anger from next steps offered before the caller feels heard
    silence_anger: float = 0.5  # anger from each empty reply after the first in a row
    interruption_anger: float = 0.25  # anger each time the trainee talks over the caller
    warnings_before_end: int = 2  # defied boundaries at level 4 before the trainee may end the call
    max_turns: int = 24  # the caller gives up on a call that goes nowhere


class Outcome(StrEnum):
    """How a call stands; the last three end it."""

    ONGOING = "ongoing"
    RESOLVED = "resolved"
    HUNG_UP = "hung_up"
    ENDED = "ended"


class Rule(StrEnum):
    """Why the caller said what they said: every transition names one rule."""

    OPENING = "opening"
    SILENCE = "silence"
    SILENCE_ESCALATES = "silence_escalates"
    HARM_ESCALATES = "harm_escalates"
    HARM_ANGERS = "harm_angers"
    CALMED_DOWN = "calmed_down"
    CALMING = "calming"
    STORY = "story"
    BLANKET_APOLOGY = "blanket_apology"
    BOUNDARY_DEFIED = "boundary_defied"
    ENDED_AFTER_WARNINGS = "ended_after_warnings"
    HEARD = "heard"
    DEMAND = "demand"
    PREMATURE_SOLUTION = "premature_solution"
    RESOLVED = "resolved"
    NO_PROGRESS = "no_progress"
    UNHEARD_ESCALATES = "unheard_escalates"
    TOO_LONG = "too_long"
    ENDED_BY_TRAINEE = "ended_by_trainee"
