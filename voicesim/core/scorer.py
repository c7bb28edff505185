"""Score one trainee reply: which moves it makes, and the words that earned each one.

Pure and fast (thousands of replies a second): the reply is tokenised once into a normalised
string (lower case, no punctuation, no apostrophes, no fillers) and each label's compiled
pattern runs over it. Transcribed speech has no reliable punctuation, so nothing depends on it
except sentence boundaries for negation, when they exist.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from voicesim.core.labels import (
    HARMFUL,
    LABEL_ORDER,
    ApologyKind,
    Evidence,
    Label,
    QuestionKind,
    ReplyScore,
)
from voicesim.core.lexicon import Lexicon, lexicon_for, normalize_language

# A number with separators ("5,000", "2.5") is one token; words keep inner apostrophes.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’ʼ`][^\W_]+)*")
_APOSTROPHES = re.compile(r"['’ʼ`]")
_SENTENCE_END = re.compile(r"[.!?]")


@dataclass(frozen=True)
class _Tokens:
    """The normalised view of a reply with the way back to the original characters."""

    text: str  # normalised tokens joined by single spaces
    starts: list[int]  # offset of each token in ``text``
    spans: list[tuple[int, int]]  # (start, end) of each token in the original reply
    words: list[str]  # the normalised tokens
    sentence: list[int]  # sentence number of each token


def _tokenize(reply: str, lexicon: Lexicon) -> _Tokens:
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    sentence: list[int] = []
    current_sentence, previous_end = 0, 0
    for match in _TOKEN.finditer(reply):
        if _SENTENCE_END.search(reply, previous_end, match.start()):
            current_sentence += 1
        previous_end = match.end()
        word = _APOSTROPHES.sub("", match.group().lower())
        if word in lexicon.fillers:
            continue
        words.append(word)
        spans.append((match.start(), match.end()))
        sentence.append(current_sentence)
    starts, offset = [], 0
    for word in words:
        starts.append(offset)
        offset += len(word) + 1
    return _Tokens(" ".join(words), starts, spans, words, sentence)


def _token_range(tokens: _Tokens, match: re.Match[str]) -> tuple[int, int]:
    """First and last token index covered by a match in the normalised text."""
    first = bisect_right(tokens.starts, match.start()) - 1
    last = bisect_right(tokens.starts, max(match.end() - 1, match.start())) - 1
    return first, last


def _negated(tokens: _Tokens, first: int, lexicon: Lexicon) -> bool:
    """A negation word shortly before the match, in the same sentence, cancels it."""
    for index in range(max(0, first - lexicon.negation_window), first):
        if (
            tokens.sentence[index] == tokens.sentence[first]
            and tokens.words[index] in lexicon.negations
        ):
            return True
    return False


def _matches(
    pattern: re.Pattern[str], tokens: _Tokens, lexicon: Lexicon, negatable: bool
) -> list[tuple[int, int]]:
    found = []
    for match in pattern.finditer(tokens.text):
        if match.end() == match.start():
            continue
        first, last = _token_range(tokens, match)
        # A quote never runs past the end of the sentence it starts in.
        while last > first and tokens.sentence[last] != tokens.sentence[first]:
            last -= 1
        if negatable and _negated(tokens, first, lexicon):
            continue
        found.append((first, last))
    return found


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join overlapping or touching token ranges so one phrase is quoted once."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _overlaps(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(span[0] <= other[1] and other[0] <= span[1] for other in others)


def score_reply(text: str, lang: str = "en") -> ReplyScore:
    """Label one reply with the moves of DOMAIN.md, each with its evidence span."""
    code = normalize_language(lang)
    lexicon = lexicon_for(code)
    tokens = _tokenize(text, lexicon)
    if not tokens.words:
        return ReplyScore(text=text, lang=code)

    harmful_ranges: list[tuple[int, int]] = []
    found: dict[Label, list[tuple[int, int]]] = {}
    apology: ApologyKind | None = None
    for rules in lexicon.rules:  # harmful labels come first
        ranges = _matches(rules.pattern, tokens, lexicon, rules.negatable)
        if rules.unless is not None:  # "sorry to hear that" is sympathy, not an apology
            excluded = _matches(rules.unless, tokens, lexicon, False)
            ranges = [span for span in ranges if not _overlaps(span, excluded)]
        if rules.label not in HARMFUL:
            ranges = [span for span in ranges if not _overlaps(span, harmful_ranges)]
        if rules.specific is not None:
            specific = _matches(rules.specific, tokens, lexicon, rules.negatable)
            specific = [span for span in specific if not _overlaps(span, harmful_ranges)]
            if rules.unless is not None:
                specific = [span for span in specific if not _overlaps(span, excluded)]
            if specific:
                apology = ApologyKind.SPECIFIC
                ranges += specific
            elif ranges:
                apology = ApologyKind.BLANKET
        if not ranges:
            continue
        if rules.label in HARMFUL:
            harmful_ranges += ranges
        found[rules.label] = _merge(ranges)

    evidence = []
    for label in LABEL_ORDER:
        for first, last in found.get(label, ()):
            start, end = tokens.spans[first][0], tokens.spans[last][1]
            evidence.append(Evidence(label, text[start:end], start, end))
    evidence.sort(key=lambda item: (item.start, LABEL_ORDER.index(item.label)))
    labels = tuple(label for label in LABEL_ORDER if label in found)
    # The lexicons list open questions only (what happened, who, how long...): the closed
    # ones are the learned layer's to find.
    question = QuestionKind.OPEN if Label.QUESTION in found else None
    return ReplyScore(
        text=text,
        lang=code,
        labels=labels,
        evidence=tuple(evidence),
        apology=apology,
        question=question,
    )
