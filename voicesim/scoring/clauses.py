"""Split a reply into clauses, the units the learned layer labels and quotes as evidence.

Written replies split at sentence punctuation and at commas; a piece that is still long (as
transcribed speech is: no punctuation at all) splits again before a clause-opening word of the
language ("but", "so", "men", "maar", "ale"...). Pieces shorter than a few words join their
neighbour, so "so," or "okay" never stands alone. Offsets index the original reply, so a
clause can be quoted exactly.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MARKERS_FILE = Path(__file__).with_name("data") / "clause_markers.toml"
_WORD = re.compile(r"[^\W_]+(?:['’ʼ`-][^\W_]+)*")
_HARD = re.compile(r"[.!?;:…]+|\s[-–—]\s")
_SOFT = re.compile(r",")


@dataclass(frozen=True)
class Clause:
    """A stretch of the reply: ``text`` is ``reply[start:end]``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Rules:
    markers: dict[str, frozenset[str]]
    long_piece_words: int
    min_clause_words: int


@cache
def _rules() -> _Rules:
    data = tomllib.loads(MARKERS_FILE.read_text(encoding="utf-8"))
    markers = {lang: frozenset(w.lower() for w in words) for lang, words in data["markers"].items()}
    return _Rules(markers, int(data["long_piece_words"]), int(data["min_clause_words"]))


def _words(text: str, start: int, end: int) -> list[re.Match[str]]:
    return list(_WORD.finditer(text, start, end))


def _cut(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of ``text[start:end]`` between matches of ``pattern`` (the separators stay
    with the piece before them, so a question keeps its question mark)."""
    pieces, begin = [], start
    for match in pattern.finditer(text, start, end):
        pieces.append((begin, match.end()))
        begin = match.end()
    pieces.append((begin, end))
    return [(a, b) for a, b in pieces if _words(text, a, b)]


def _join_short(text: str, spans: list[tuple[int, int]], minimum: int) -> list[tuple[int, int]]:
    """Join pieces of fewer than ``minimum`` words to the next piece (the last to the one before)."""
    joined: list[tuple[int, int]] = []
    carry: int | None = None
    for start, end in spans:
        begin = start if carry is None else carry
        if len(_words(text, begin, end)) < minimum:
            carry = begin
            continue
        joined.append((begin, end))
        carry = None
    if carry is not None:
        if joined:
            joined[-1] = (joined[-1][0], spans[-1][1])
        else:
            joined.append((carry, spans[-1][1]))
    return joined


def _split_long(
    text: str, start: int, end: int, markers: frozenset[str], rules: _Rules
) -> list[tuple[int, int]]:
    words = _words(text, start, end)
    if len(words) <= rules.long_piece_words:
        return [(start, end)]
    cuts = [w.start() for w in words[1:] if w.group().lower() in markers]
    bounds = [start, *cuts, end]
    return _join_short(text, list(itertools.pairwise(bounds)), rules.min_clause_words)


def split_clauses(reply: str, lang: str) -> list[Clause]:
    """The reply's clauses in order; a reply without words gives none.

    A sentence of up to ``long_piece_words`` words is one clause; a longer one splits at its
    commas, and a piece still too long splits before clause-opening words."""
    rules = _rules()
    markers = rules.markers.get(lang, frozenset())
    spans: list[tuple[int, int]] = []
    for start, end in _join_short(reply, _cut(reply, 0, len(reply), _HARD), 2):
        if len(_words(reply, start, end)) <= rules.long_piece_words:
            spans.append((start, end))
            continue
        for soft_start, soft_end in _join_short(
            reply, _cut(reply, start, end, _SOFT), rules.min_clause_words
        ):
            spans += _split_long(reply, soft_start, soft_end, markers, rules)
    clauses = []
    for start, end in spans:
        piece = reply[start:end]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece.rstrip(" ,"))
        clauses.append(Clause(reply[start + lead : start + trail], start + lead, start + trail))
    return clauses
