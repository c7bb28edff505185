"""Scripted trainees for end-to-end tests: a good one that follows the staircase, and a rude one."""

from __future__ import annotations

import tomllib
from itertools import cycle
from pathlib import Path

from voicesim.core.call import CallRecord, PracticeCall
from voicesim.core.levels import Level
from voicesim.core.personas import Persona

PHRASEBOOKS = tomllib.loads(
    (Path(__file__).parent / "data" / "trainees.toml").read_text(encoding="utf-8")
)


def play_good_trainee(persona: Persona, seed: int = 1, max_replies: int = 20) -> CallRecord:
    """Listen at levels 1-2, refocus at 3, set a boundary at 4; next steps once the caller is calm."""
    book = PHRASEBOOKS[persona.language]
    listening = cycle(book["listen"])
    call = PracticeCall(persona, seed=seed)
    turn = call.start()
    for _ in range(max_replies):
        if call.over:
            break
        if turn.level is Level.HOSTILITY:
            reply = book["boundary"][0]
        elif turn.level is Level.MORE_PROBLEMS:
            reply = book["refocus"][0]
        elif (
            turn.level is Level.DISAGREEMENT
            and call.engine.heard_points >= persona.temper.heard_needed
        ):
            reply = book["next_steps"][0]
        else:
            reply = next(listening)
        _, turn = call.answer(reply)
    if not call.over:
        call.end()
    return call.record


def play_rude_trainee(persona: Persona, seed: int = 1, max_replies: int = 20) -> CallRecord:
    rude = cycle(PHRASEBOOKS[persona.language]["rude"])
    call = PracticeCall(persona, seed=seed)
    call.start()
    for _ in range(max_replies):
        if call.over:
            break
        call.answer(next(rude))
    if not call.over:
        call.end()
    return call.record


def good_replies(lang: str) -> list[str]:
    """A fixed reply file for a typical call (listen, listen, next steps), for CLI tests."""
    book = PHRASEBOOKS[lang]
    return [book["listen"][0], book["listen"][1], book["listen"][2], book["next_steps"][0]]
