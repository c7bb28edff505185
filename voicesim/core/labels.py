"""The label vocabulary of the trainee's moves and the result of scoring one reply.

The label names are a fixed contract (DOMAIN.md): other tools read them from JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Label(StrEnum):
    """One move a trainee can make in a reply."""

    EMPATHY = "empathy"
    PARAPHRASE = "paraphrase"
    QUESTION = "question"
    APOLOGY = "apology"
    BOUNDARY = "boundary"
    REFOCUS = "refocus"
    NEXT_STEPS = "next_steps"
    BLAME_SHIFT = "blame_shift"
    DISMISSIVE = "dismissive"
    ARGUE = "argue"
    VAGUE_PROMISE = "vague_promise"

    @property
    def harmful(self) -> bool:
        return self in HARMFUL


HELPFUL: frozenset[Label] = frozenset(
    {
        Label.EMPATHY,
        Label.PARAPHRASE,
        Label.QUESTION,
        Label.APOLOGY,
        Label.BOUNDARY,
        Label.REFOCUS,
        Label.NEXT_STEPS,
    }
)
HARMFUL: frozenset[Label] = frozenset(
    {Label.BLAME_SHIFT, Label.DISMISSIVE, Label.ARGUE, Label.VAGUE_PROMISE}
)
ACTIVE_LISTENING: frozenset[Label] = frozenset({Label.EMPATHY, Label.PARAPHRASE, Label.QUESTION})

# Fixed display order: helpful moves first, in the order a good call uses them.
LABEL_ORDER: tuple[Label, ...] = tuple(Label)


class ApologyKind(StrEnum):
    """How good an apology is: a specific one names what went wrong (seed film #1)."""

    SPECIFIC = "specific"
    BLANKET = "blanket"


class QuestionKind(StrEnum):
    """What a question invites: an open one the caller's story (what the course asks for), a
    closed one a single fact (it counts less)."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Evidence:
    """The words in a reply that earned a label; ``start``/``end`` index the reply text."""

    label: Label
    phrase: str
    start: int
    end: int
    source: str = "lexicon"  # "lexicon" (a listed phrase) or "learned" (a clause the model judged)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": str(self.label),
            "phrase": self.phrase,
            "start": self.start,
            "end": self.end,
            "source": self.source,
        }


@dataclass(frozen=True)
class ReplyScore:
    """Everything the scorer found in one reply."""

    text: str
    lang: str
    labels: tuple[Label, ...] = ()
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    apology: ApologyKind | None = None
    question: QuestionKind | None = None  # set exactly when ``question`` is a label
    scorer: str = "lexicon"  # which scorer of the scorer table gave this result

    def has(self, label: Label) -> bool:
        return label in self.labels

    @property
    def is_empty(self) -> bool:
        """True for silence: nothing was said at all."""
        return not self.text.strip()

    @property
    def harmful_labels(self) -> tuple[Label, ...]:
        return tuple(label for label in self.labels if label in HARMFUL)

    def evidence_for(self, label: Label) -> tuple[Evidence, ...]:
        return tuple(item for item in self.evidence if item.label == label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "lang": self.lang,
            "labels": [str(label) for label in self.labels],
            "evidence": [item.to_dict() for item in self.evidence],
            "apology": str(self.apology) if self.apology else None,
            "question": str(self.question) if self.question else None,
            "scorer": self.scorer,
        }
