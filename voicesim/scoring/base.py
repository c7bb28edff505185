"""What every scorer offers, and the lexicon scorer in that shape.

A scorer labels a trainee's reply with the moves of the label vocabulary, each with the words
that earned it. ``score`` serves the live call (one reply at a time); ``score_many`` serves
batch work, where a learned scorer can run its encoder on many replies at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from voicesim.core.labels import ReplyScore
from voicesim.core.scorer import score_reply as lexicon_score


class ReplyScorer(Protocol):
    """Labels replies; ``name`` is its key in the scorer table."""

    name: str

    def score(self, text: str, lang: str) -> ReplyScore: ...

    def score_many(self, texts: Sequence[str], lang: str) -> list[ReplyScore]: ...


class LexiconScorer:
    """The phrase lexicons alone: precise, exact evidence, thousands of replies a second."""

    name = "lexicon"

    def score(self, text: str, lang: str) -> ReplyScore:
        return lexicon_score(text, lang)

    def score_many(self, texts: Sequence[str], lang: str) -> list[ReplyScore]:
        return [lexicon_score(text, lang) for text in texts]
