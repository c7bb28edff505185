"""The report after a call: what the trainee did well and badly, quoted, with coaching tips.

Research on practice tools finds a personal report after the call helps more than live cues,
so every rating quotes the words that earned it and every tip is tied to a staircase level.
Ratings are 0-100 and deliberately simple, so a trainer can explain each one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from voicesim.core.labels import ACTIVE_LISTENING, HARMFUL, ApologyKind, Label, ReplyScore
from voicesim.core.levels import Level
from voicesim.core.staircase_rules import Outcome, Rule

_HARM_PENALTY = 25
_TIPS_MIN, _TIPS_MAX = 2, 4


@dataclass(frozen=True)
class ScoredTurn:
    """What the scorecard needs of one turn: the level answered, the reply's score, the rule."""

    index: int
    level: Level
    score: ReplyScore
    rule: Rule
    to_level: Level


@dataclass(frozen=True)
class Quote:
    turn: int
    level: int
    label: str
    phrase: str

    def to_dict(self) -> dict[str, object]:
        return {"turn": self.turn, "level": self.level, "label": self.label, "phrase": self.phrase}


@dataclass(frozen=True)
class Dimension:
    """One rated aspect of the call; ``rating`` is None when it did not apply."""

    name: str
    rating: int | None
    summary: str
    quotes: tuple[Quote, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "rating": self.rating,
            "summary": self.summary,
            "quotes": [q.to_dict() for q in self.quotes],
        }


@dataclass(frozen=True)
class Scorecard:
    outcome: Outcome
    final_level: Level
    peak_level: Level
    turns: int
    dimensions: tuple[Dimension, ...]
    tips: tuple[str, ...] = field(default_factory=tuple)

    @property
    def overall(self) -> int:
        ratings = [d.rating for d in self.dimensions if d.rating is not None]
        return round(sum(ratings) / len(ratings)) if ratings else 0

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    def to_dict(self) -> dict[str, object]:
        return {
            "outcome": str(self.outcome),
            "final_level": int(self.final_level),
            "peak_level": int(self.peak_level),
            "turns": self.turns,
            "overall": self.overall,
            **{d.name: d.to_dict() for d in self.dimensions},
            "tips": list(self.tips),
        }


def _quotes(turns: Sequence[ScoredTurn], labels: frozenset[Label]) -> tuple[Quote, ...]:
    return tuple(
        Quote(turn.index, int(turn.level), str(item.label), item.phrase)
        for turn in turns
        for item in turn.score.evidence
        if item.label in labels
    )


def _active_listening(turns: Sequence[ScoredTurn]) -> Dimension:
    spoken = [t for t in turns if not t.score.is_empty]
    listening = [t for t in spoken if ACTIVE_LISTENING & set(t.score.labels)]
    rating = round(100 * len(listening) / len(spoken)) if spoken else 0
    summary = f"{len(listening)} of {len(spoken)} replies showed you listened (empathy, paraphrase, question)."
    return Dimension("active_listening", rating, summary, _quotes(turns, ACTIVE_LISTENING))


def _apology(turns: Sequence[ScoredTurn]) -> Dimension:
    kinds = [t.score.apology for t in turns if t.score.has(Label.APOLOGY)]
    quotes = _quotes(turns, frozenset({Label.APOLOGY}))
    if ApologyKind.SPECIFIC in kinds:
        return Dimension("apology", 100, "You apologised specifically for what went wrong.", quotes)
    if kinds:
        return Dimension("apology", 50, "Your apology was blanket: name what went wrong.", quotes)
    return Dimension(
        "apology", 0, "No apology: an angry caller needs to hear you own what went wrong."
    )


def _boundary(turns: Sequence[ScoredTurn], peak: Level) -> Dimension:
    quotes = _quotes(turns, frozenset({Label.BOUNDARY}))
    if peak < Level.HOSTILITY:
        return Dimension(
            "boundary", None, "The caller never became hostile: no boundary was needed.", quotes
        )
    at_hostility = [t for t in turns if t.level is Level.HOSTILITY and t.score.has(Label.BOUNDARY)]
    if at_hostility:
        return Dimension(
            "boundary", 100, "You set a polite boundary when the caller turned hostile.", quotes
        )
    return Dimension("boundary", 0, "The caller turned hostile and you set no boundary.", quotes)


def _harmful(turns: Sequence[ScoredTurn]) -> Dimension:
    quotes = _quotes(turns, HARMFUL)
    rating = max(0, 100 - _HARM_PENALTY * len(quotes))
    summary = (
        "No harmful moves."
        if not quotes
        else f"{len(quotes)} harmful move(s) that escalate a caller."
    )
    return Dimension("harmful_moves", rating, summary, quotes)


def _outcome(outcome: Outcome, final_level: Level, turns: Sequence[ScoredTurn]) -> Dimension:
    quotes = _quotes([t for t in turns if t.rule is Rule.RESOLVED], frozenset({Label.NEXT_STEPS}))
    rating = {Outcome.RESOLVED: 100, Outcome.ENDED: 50}.get(outcome, 0)
    summary = {
        Outcome.RESOLVED: "Resolved: the caller accepted your next steps.",
        Outcome.HUNG_UP: "The caller hung up.",
        Outcome.ENDED: f"The call ended unresolved at level {int(final_level)} ({final_level.title}).",
    }.get(outcome, f"The call is still going at level {int(final_level)}.")
    return Dimension("outcome", rating, summary, quotes)


def build_scorecard(
    turns: Sequence[ScoredTurn],
    outcome: Outcome,
    final_level: Level,
    start_level: Level,
    side_grievance: str = "",
) -> Scorecard:
    """The scorecard of a finished (or interrupted) call."""
    peak = max([start_level, final_level, *(t.level for t in turns), *(t.to_level for t in turns)])
    peak = min(peak, Level.HOSTILITY) if outcome is not Outcome.HUNG_UP else peak
    dimensions = (
        _active_listening(turns),
        _apology(turns),
        _boundary(turns, peak),
        _harmful(turns),
        _outcome(outcome, final_level, turns),
    )
    tips = coaching_tips(turns, outcome, peak, side_grievance)
    return Scorecard(outcome, final_level, peak, len(turns), dimensions, tips)


def coaching_tips(
    turns: Sequence[ScoredTurn], outcome: Outcome, peak: Level, side_grievance: str = ""
) -> tuple[str, ...]:
    """2-4 concrete tips, the most important first, each tied to a staircase level."""
    tips: list[str] = []
    first: dict[Label, Quote] = {}
    for quote in _quotes(turns, frozenset(Label)):
        first.setdefault(Label(quote.label), quote)
    if Label.DISMISSIVE in first:
        q = first[Label.DISMISSIVE]
        tips.append(
            f'Turn {q.turn}: "{q.phrase}" tells the caller they are not heard and pushed them up '
            'the staircase. Mirror the feeling instead: "I can hear how frustrating this is."'
        )
    if Label.ARGUE in first:
        q = first[Label.ARGUE]
        tips.append(
            f'Turn {q.turn}: you argued ("{q.phrase}") at level {q.level}. An angry caller cannot take '
            "in arguments until they feel heard: ask about their story first, explain later."
        )
    if Label.BLAME_SHIFT in first:
        q = first[Label.BLAME_SHIFT]
        tips.append(
            f'Turn {q.turn}: "{q.phrase}" shifts the blame. Own the problem for the company: '
            '"That should not have happened, and I will sort it out."'
        )
    if Label.VAGUE_PROMISE in first:
        q = first[Label.VAGUE_PROMISE]
        tips.append(
            f'Turn {q.turn}: "{q.phrase}" is a vague promise. Say what you will do and by when, '
            "or honestly what you cannot do."
        )
    blame_turns = [t for t in turns if t.level is Level.BLAME]
    if blame_turns and not any(ACTIVE_LISTENING & set(t.score.labels) for t in blame_turns):
        tips.append(
            'At level 2 (blame) stop explaining: ask an open question ("What happened when you '
            'called?") or paraphrase what you heard, and the caller comes back to level 1.'
        )
    if peak >= Level.MORE_PROBLEMS and Label.REFOCUS not in first:
        dragged = f' ("{side_grievance[:60]}...")' if side_grievance else ""
        tips.append(
            f"At level 3 the caller dragged in a side issue{dragged}. Park it politely: \"I'd like to "
            "talk about that afterwards, but first let's finish your case.\""
        )
    if peak >= Level.HOSTILITY and Label.BOUNDARY not in first:
        tips.append(
            "At level 4 (open hostility) set a boundary: \"I want to help you, but I won't be shouted "
            'at." If it goes on, warn once more, then end the call politely.'
        )
    apologies = [t.score.apology for t in turns if t.score.has(Label.APOLOGY)]
    if apologies and ApologyKind.SPECIFIC not in apologies:
        q = first[Label.APOLOGY]
        tips.append(
            f'Turn {q.turn}: "{q.phrase}" is a blanket apology. Name what went wrong: '
            "\"I'm sorry your order didn't arrive when we promised.\""
        )
    if any(t.rule is Rule.PREMATURE_SOLUTION for t in turns):
        tips.append(
            "You offered a solution before the caller felt heard. At level 1, first let them tell it "
            "and show you listened; then give the next steps."
        )
    if outcome is not Outcome.RESOLVED and Label.NEXT_STEPS not in first:
        tips.append(
            "Close with concrete next steps once the caller is calm: what happens, who does it, "
            "and by when."
        )
    tips += _keep_doing(first)
    return tuple(tips[:_TIPS_MAX]) if len(tips) >= _TIPS_MIN else tuple(tips)


def _keep_doing(first: dict[Label, Quote]) -> list[str]:
    """Praise what worked, with the trainee's own words, so a good call still gets two tips."""
    praise = {
        Label.PARAPHRASE: "your paraphrase showed the caller you had understood",
        Label.EMPATHY: "naming the caller's feeling lowered the temperature",
        Label.QUESTION: "your open question let the caller tell their story",
        Label.APOLOGY: "your apology owned what went wrong",
        Label.REFOCUS: "you parked the side issue and kept the call on the case",
        Label.BOUNDARY: "your boundary stopped the abuse without escalating",
        Label.NEXT_STEPS: "your next steps were concrete",
    }
    return [
        f'Keep doing this (turn {first[label].turn}): "{first[label].phrase}": {text}.'
        for label, text in praise.items()
        if label in first
    ] or [
        "Start with the caller's feeling: an angry caller needs to feel heard before anything else."
    ]
