"""The five-step customer conflict staircase (DOMAIN.md, seeds/da-module7)."""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    """How far the caller's conflict has escalated; higher is worse."""

    DISAGREEMENT = 1
    BLAME = 2
    MORE_PROBLEMS = 3
    HOSTILITY = 4
    SEPARATION = 5

    @property
    def title(self) -> str:
        return _TITLES[self]

    @property
    def advice(self) -> str:
        """What works at this level: shown to the trainee and used in coaching tips."""
        return _ADVICE[self]

    def up(self) -> Level:
        return Level(min(self + 1, Level.SEPARATION))

    def down(self) -> Level:
        return Level(max(self - 1, Level.DISAGREEMENT))


_TITLES = {
    Level.DISAGREEMENT: "disagreement",
    Level.BLAME: "blame",
    Level.MORE_PROBLEMS: "more problems",
    Level.HOSTILITY: "open hostility",
    Level.SEPARATION: "separation",
}

_ADVICE = {
    Level.DISAGREEMENT: "Let them tell it and show you listen; then solve with concrete next steps.",
    Level.BLAME: "Stop explaining and defending: ask about their story, listen, mirror feelings.",
    Level.MORE_PROBLEMS: "Do not discuss the side issues: park them politely and refocus on the case.",
    Level.HOSTILITY: "Own any misstep and apologise; set a boundary: you want to help, "
    "but won't be shouted at.",
    Level.SEPARATION: "The call is lost; a later restart needs a visibly different approach.",
}
