"""Scoring a trainee's reply: the scorer table and what the rest of voicesim may use.

    from voicesim.scoring import scorer_named
    score = scorer_named().score("I'm so sorry, what happened?", "en")

``scorer_named(None)`` follows ``VOICESIM_SCORER`` and defaults to ``hybrid``.
"""

from voicesim.scoring.base import LexiconScorer, ReplyScorer
from voicesim.scoring.table import (
    DEFAULT_SCORER,
    SCORER_ENV,
    SCORER_NAMES,
    scorer_name,
    scorer_named,
)

__all__ = [
    "DEFAULT_SCORER",
    "SCORER_ENV",
    "SCORER_NAMES",
    "LexiconScorer",
    "ReplyScorer",
    "scorer_name",
    "scorer_named",
]
