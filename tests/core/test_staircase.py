"""The staircase engine follows DOMAIN.md: what calms and what escalates at each level."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from tests.core.conftest import reply
from voicesim.core.labels import ApologyKind, Label, QuestionKind, ReplyScore
from voicesim.core.levels import Level
from voicesim.core.personas import Persona
from voicesim.core.staircase import StaircaseEngine
from voicesim.core.staircase_rules import EngineOptions, Outcome, Rule
from voicesim.errors import CallOverError

SILENCE = ReplyScore(text="", lang="en")


def engine_at(persona: Persona, level: Level, seed: int = 1) -> StaircaseEngine:
    engine = StaircaseEngine(persona, seed=seed)
    engine.opening()
    engine.level = level
    return engine


def test_opening_uses_persona_facts_and_start_level(test_persona: Persona) -> None:
    turn = StaircaseEngine(test_persona, seed=3).opening()
    assert turn.line == "OPENING where is T-1?"
    assert turn.level is Level.BLAME
    assert turn.transition.rule is Rule.OPENING


def test_listening_at_blame_brings_caller_down_and_question_earns_story(
    test_persona: Persona,
) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    turn = engine.respond(reply(Label.QUESTION))
    assert turn.level is Level.DISAGREEMENT
    assert turn.transition.rule is Rule.CALMED_DOWN
    assert turn.line == "STORY 1 promised by Friday"
    assert "question" in turn.transition.reason


def test_next_steps_resolve_only_once_calm_and_heard(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.DISAGREEMENT)
    premature = engine.respond(reply(Label.NEXT_STEPS))
    assert premature.transition.rule is Rule.PREMATURE_SOLUTION
    assert premature.outcome is Outcome.ONGOING
    engine.respond(reply(Label.EMPATHY))
    resolved = engine.respond(reply(Label.NEXT_STEPS))
    assert resolved.outcome is Outcome.RESOLVED
    assert resolved.line == "RESOLVED thanks"


def test_next_steps_at_blame_do_not_resolve(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    turn = engine.respond(reply(Label.NEXT_STEPS))
    assert turn.outcome is Outcome.ONGOING
    assert turn.transition.rule in {Rule.PREMATURE_SOLUTION, Rule.UNHEARD_ESCALATES}


def test_harmful_moves_escalate_quote_the_trainee_and_end_in_hang_up(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    to_three = engine.respond(reply(Label.DISMISSIVE))
    assert to_three.level is Level.MORE_PROBLEMS
    assert "'<dismissive>'" in to_three.line
    assert "SIDE and the invoice" in to_three.line  # the side grievance comes with level 3
    assert engine.respond(reply(Label.ARGUE)).level is Level.HOSTILITY
    last = engine.respond(reply(Label.BLAME_SHIFT))
    assert last.level is Level.SEPARATION
    assert last.outcome is Outcome.HUNG_UP
    assert last.line.endswith("HANGUP goodbye.")
    with pytest.raises(CallOverError):
        engine.respond(reply(Label.EMPATHY))


def test_harm_cancels_helpful_moves_in_the_same_reply(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    turn = engine.respond(reply(Label.EMPATHY, Label.DISMISSIVE))
    assert turn.level is Level.MORE_PROBLEMS
    assert "cancels the empathy" in turn.transition.reason


def test_vague_promise_angers_by_half(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    first = engine.respond(reply(Label.VAGUE_PROMISE))
    assert first.level is Level.BLAME and first.transition.rule is Rule.HARM_ANGERS
    assert engine.respond(reply(Label.VAGUE_PROMISE)).level is Level.MORE_PROBLEMS


def test_refocus_is_what_works_at_more_problems(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.MORE_PROBLEMS)
    turn = engine.respond(reply(Label.REFOCUS))
    assert turn.level is Level.BLAME
    assert turn.line == "REFOCUS ok, the parcel"
    engine = engine_at(test_persona, Level.MORE_PROBLEMS)
    partial = engine.respond(reply(Label.EMPATHY))  # listening helps only half at level 3
    assert partial.level is Level.MORE_PROBLEMS and partial.transition.rule is Rule.CALMING


def test_boundary_at_hostility_calms_to_three(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.HOSTILITY)
    turn = engine.respond(reply(Label.BOUNDARY))
    assert turn.level is Level.MORE_PROBLEMS
    assert turn.line == "BOUNDARY_ACCEPTED ok"


def test_repeated_boundary_warns_then_ends_the_call(test_persona: Persona) -> None:
    # A very impatient caller: one boundary is not enough, so the trainee warns, then ends.
    stubborn = replace(test_persona, temper=replace(test_persona.temper, patience=4.0))
    engine = engine_at(stubborn, Level.HOSTILITY)
    rules = [engine.respond(reply(Label.BOUNDARY)).transition.rule for _ in range(3)]
    assert rules == [Rule.BOUNDARY_DEFIED, Rule.BOUNDARY_DEFIED, Rule.ENDED_AFTER_WARNINGS]
    assert engine.outcome is Outcome.ENDED
    assert engine.transitions[-1].to_level is Level.HOSTILITY


def test_repeating_the_same_move_has_diminishing_returns(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.DISAGREEMENT)
    engine.respond(reply(Label.EMPATHY))
    engine.respond(reply(Label.EMPATHY))
    engine.respond(reply(Label.EMPATHY))
    assert engine.heard_points == pytest.approx(1.0 + 0.5 + 0.25)


def test_blanket_apology_is_weaker_than_specific(test_persona: Persona) -> None:
    blanket = engine_at(test_persona, Level.BLAME)
    turn = blanket.respond(reply(Label.APOLOGY, apology=ApologyKind.BLANKET))
    assert turn.level is Level.BLAME and turn.transition.rule is Rule.BLANKET_APOLOGY
    assert turn.line.startswith("APOLOGY_BLANKET")
    specific = engine_at(test_persona, Level.BLAME)
    turn = specific.respond(reply(Label.APOLOGY, apology=ApologyKind.SPECIFIC))
    assert turn.level is Level.DISAGREEMENT and turn.line == "APOLOGY_ACCEPTED"


def test_silence_asks_then_angers(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    first = engine.respond(SILENCE)
    assert first.line.startswith("SILENCE") and first.level is Level.BLAME
    engine.respond(SILENCE)
    third = engine.respond(SILENCE)
    assert third.transition.rule is Rule.SILENCE_ESCALATES
    assert third.level is Level.MORE_PROBLEMS


def test_no_useful_move_slowly_angers(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    rules = [engine.respond(reply()).transition.rule for _ in range(4)]
    assert rules == [Rule.NO_PROGRESS] * 3 + [Rule.UNHEARD_ESCALATES]
    assert engine.level is Level.MORE_PROBLEMS


def test_endless_call_ends_in_hang_up(test_persona: Persona) -> None:
    engine = StaircaseEngine(test_persona, seed=1, options=EngineOptions(max_turns=3))
    engine.opening()
    engine.respond(reply(Label.EMPATHY))
    engine.respond(reply(Label.EMPATHY))
    last = engine.respond(reply(Label.EMPATHY))
    assert last.outcome is Outcome.HUNG_UP and last.transition.rule is Rule.TOO_LONG


def test_every_transition_is_recorded_with_a_reason(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    for score in (reply(Label.QUESTION), reply(Label.DISMISSIVE), reply(Label.REFOCUS)):
        engine.respond(score)
    assert [t.turn for t in engine.transitions] == [0, 1, 2, 3]
    assert all(t.reason for t in engine.transitions)
    assert [(int(t.from_level), int(t.to_level)) for t in engine.transitions[1:]] == [
        (2, 1),
        (1, 2),
        (2, 2),
    ]


def test_same_seed_same_call_and_lines_vary_without_repeats(test_persona: Persona) -> None:
    def play(seed: int | None) -> list[str]:
        engine = engine_at(test_persona, Level.BLAME, seed=seed or 0)
        return [engine.respond(reply()).line for _ in range(3)]

    assert play(7) == play(7)
    lines = play(7)
    assert all(a != b for a, b in pairwise(lines))


def test_trainee_can_end_the_call(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    turn = engine.end_call()
    assert turn.outcome is Outcome.ENDED and turn.level is Level.BLAME


def test_talking_over_the_caller_adds_anger(test_persona: Persona) -> None:
    engine = engine_at(test_persona, Level.BLAME)
    turn = engine.respond(reply(), interruptions=2)
    assert "talked over the caller 2x" in turn.transition.reason
    assert turn.transition.anger_points == pytest.approx(0.5 + engine.options.idle_anger)


def test_an_open_question_counts_more_than_a_closed_one(test_persona: Persona) -> None:
    open_engine = engine_at(test_persona, Level.BLAME)
    closed_engine = engine_at(test_persona, Level.BLAME)
    asked = open_engine.respond(replace(reply(Label.QUESTION), question=QuestionKind.OPEN))
    checked = closed_engine.respond(replace(reply(Label.QUESTION), question=QuestionKind.CLOSED))
    assert asked.line == "STORY 1 promised by Friday"  # the story goes on
    assert "question +1" in asked.transition.reason
    assert "question (closed) +0.5" in checked.transition.reason
    assert not checked.line.startswith("STORY")  # a fact was asked for, not the story
    assert open_engine._heard > closed_engine._heard
