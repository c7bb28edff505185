"""Choosing which variant of a caller line to say: varied, never the same twice in a row.

With a seed the choice is reproducible (scripted practice and tests); without one every call
sounds a little different.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


class LinePicker:
    """Deals variants like a shuffled deck per key, so repeats come only after all were used."""

    def __init__(self, seed: int | None = None):
        self._random = random.Random(seed)
        self._decks: dict[str, list[str]] = {}
        self._last: dict[str, str] = {}

    def pick(self, key: str, variants: Sequence[str]) -> str:
        if not variants:
            raise ValueError(f"no line variants for {key!r}")
        deck = self._decks.get(key)
        if not deck:
            deck = list(variants)
            self._random.shuffle(deck)
            # A fresh deck must not start with the line that just ended the previous one.
            if len(deck) > 1 and deck[-1] == self._last.get(key):
                deck[0], deck[-1] = deck[-1], deck[0]
            self._decks[key] = deck
        line = deck.pop()
        self._last[key] = line
        return line


class StoryTeller:
    """Story pieces come out in order: each curious question earns the next one."""

    def __init__(self, pieces: Sequence[str]):
        self._pieces = list(pieces)
        self._told = 0

    @property
    def exhausted(self) -> bool:
        return self._told >= len(self._pieces)

    def next_piece(self) -> str | None:
        if self.exhausted:
            return None
        piece = self._pieces[self._told]
        self._told += 1
        return piece
