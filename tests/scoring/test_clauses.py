"""Splitting replies into the clauses the learned layer judges and quotes."""

from __future__ import annotations

import pytest

from voicesim.scoring.clauses import split_clauses


def texts(reply: str, lang: str = "en") -> list[str]:
    clauses = split_clauses(reply, lang)
    for clause in clauses:  # offsets always quote the reply exactly
        assert reply[clause.start : clause.end] == clause.text
    return [clause.text for clause in clauses]


def test_sentences_are_clauses_and_keep_their_question_mark() -> None:
    assert texts("I'm so sorry your parcel is late. What happened?") == [
        "I'm so sorry your parcel is late.",
        "What happened?",
    ]


def test_a_short_sentence_stays_whole_even_with_commas() -> None:
    assert texts("Right, okay, I can see the order here.") == [
        "Right, okay, I can see the order here."
    ]


def test_a_one_word_sentence_joins_its_neighbour() -> None:
    assert texts("Okay. Calm down.") == ["Okay. Calm down."]


def test_long_unpunctuated_speech_splits_before_clause_openers() -> None:
    reply = (
        "im really sorry about that i can see it went to the wrong address but what ill do now "
        "is send a new one today so you have it by thursday"
    )
    got = texts(reply)
    assert got[0] == "im really sorry about that i can see it went to the wrong address"
    assert got[1].startswith("but what ill do now")
    assert got[-1] == "so you have it by thursday"


@pytest.mark.parametrize(
    ("lang", "reply", "opener"),
    [
        (
            "da",
            "jeg forstår godt at du er sur øh det ville jeg også være men vi sender en ny i morgen",
            "men",
        ),
        (
            "nl",
            "ik snap dat u boos bent want u heeft al drie keer gebeld maar ik ga het nu oplossen",
            "maar",
        ),
        (
            "sv",
            "jag förstår att du är arg för du har ringt tre gånger men jag löser det nu direkt",
            "men",
        ),
        (
            "pl",
            "rozumiem że jest pan zdenerwowany bo dzwoni pan trzeci raz ale zaraz to załatwię",
            "ale",
        ),
    ],
)
def test_clause_openers_of_every_language(lang: str, reply: str, opener: str) -> None:
    assert any(clause.startswith(opener + " ") for clause in texts(reply, lang))


def test_nothing_to_split() -> None:
    assert texts("") == []
    assert texts("   ...  ") == []
