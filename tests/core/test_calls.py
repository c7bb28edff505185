"""Whole calls with every shipped persona: listening resolves, arguing gets hung up on."""

from __future__ import annotations

import pytest

from tests.trainees import PHRASEBOOKS, play_good_trainee, play_rude_trainee
from voicesim.core.labels import Label
from voicesim.core.personas import LANGUAGES, Persona, load_personas

PERSONAS = load_personas()


def persona_id(persona: Persona) -> str:
    return persona.key


def test_every_language_has_personas_and_a_phrasebook() -> None:
    languages = {p.language for p in PERSONAS}
    assert languages == set(LANGUAGES)
    assert sum(p.language == "en" for p in PERSONAS) >= 6
    assert set(PHRASEBOOKS) == set(LANGUAGES)


@pytest.mark.parametrize("persona", PERSONAS, ids=persona_id)
def test_a_trainee_who_listens_resolves_the_call(persona: Persona) -> None:
    record = play_good_trainee(persona)
    assert record.closing is not None
    trail = [(t.level.value, t.score.labels, t.transition.rule.value) for t in record.turns]
    assert record.closing.outcome == "resolved", trail
    assert record.scorecard is not None and record.scorecard.dimension("outcome").rating == 100


@pytest.mark.parametrize("persona", PERSONAS, ids=persona_id)
def test_a_trainee_who_argues_and_blames_is_hung_up_on(persona: Persona) -> None:
    record = play_rude_trainee(persona)
    assert record.closing is not None
    trail = [(t.level.value, t.score.labels, t.transition.rule.value) for t in record.turns]
    assert record.closing.outcome == "hung_up", trail
    harmful = {label for t in record.turns for label in t.score.labels if label.harmful}
    assert harmful >= {Label.DISMISSIVE}
    assert record.scorecard is not None
    assert record.scorecard.dimension("harmful_moves").quotes  # quoted back to the trainee
    assert 2 <= len(record.scorecard.tips) <= 4
