"""The hybrid scorer's combination rules, on hand-made clause judgements (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from voicesim.core.labels import LABEL_ORDER, ApologyKind, Label, QuestionKind
from voicesim.core.scorer import score_reply
from voicesim.errors import ConfigError
from voicesim.scoring.clauses import split_clauses
from voicesim.scoring.encoder import HashingEncoder
from voicesim.scoring.heads import Heads, LogisticHead
from voicesim.scoring.hybrid import ClauseJudgement, HybridScorer


def heads(add: float = 0.8, drop: float = 0.05, encoder: str = HashingEncoder.name) -> Heads:
    zero = LogisticHead(np.zeros(132), 0.0)
    return Heads(
        encoder=encoder, mean=np.zeros(132), scale=np.ones(132),
        labels=dict.fromkeys(LABEL_ORDER, zero),
        add_threshold=dict.fromkeys(LABEL_ORDER, add),
        drop_threshold=dict.fromkeys(LABEL_ORDER, drop),
        open_question=zero, specific_apology=zero, meta={},
    )  # fmt: skip


def judged(text: str, p: dict[Label, list[float]], open_p: float = 0.0,
           specific_p: float = 0.0) -> ClauseJudgement:  # fmt: skip
    clauses = split_clauses(text, "en")
    n = len(clauses)
    label_p = {label: np.array(p.get(label, [0.3] * n), dtype=float) for label in LABEL_ORDER}
    return ClauseJudgement(clauses, label_p, np.full(n, open_p), np.full(n, specific_p))


SCORER = HybridScorer(HashingEncoder(), heads())


def test_a_confident_clause_adds_a_label_quoting_the_whole_clause() -> None:
    text = "Thanks for holding. could you read me the reference on the letter"
    result = SCORER.combine(score_reply(text, "en"), judged(text, {Label.QUESTION: [0.1, 0.95]}))
    assert result.labels == (Label.QUESTION,)
    (evidence,) = result.evidence
    assert evidence.phrase == "could you read me the reference on the letter"
    assert evidence.source == "learned"
    assert text[evidence.start : evidence.end] == evidence.phrase
    assert result.question is QuestionKind.CLOSED  # the kind head said 0.0
    assert result.scorer == "hybrid"


def test_below_the_add_threshold_nothing_is_added() -> None:
    text = "Thanks for holding. could you read me the reference on the letter"
    result = SCORER.combine(score_reply(text, "en"), judged(text, {Label.QUESTION: [0.1, 0.79]}))
    assert result.labels == ()


def test_a_lexicon_label_is_dropped_when_its_clause_scores_below_the_drop_threshold() -> None:
    text = "I'm so sorry your parcel is late."
    lexical = score_reply(text, "en")
    assert Label.APOLOGY in lexical.labels
    kept = SCORER.combine(lexical, judged(text, {Label.APOLOGY: [0.06]}))
    dropped = SCORER.combine(lexical, judged(text, {Label.APOLOGY: [0.01]}))
    assert Label.APOLOGY in kept.labels and kept.apology is not None
    assert Label.APOLOGY not in dropped.labels and dropped.apology is None


def test_harmful_evidence_vetoes_a_learned_helpful_label_in_the_same_clause() -> None:
    text = "Calm down and tell me what the driver said."
    lexical = score_reply(text, "en")
    assert Label.DISMISSIVE in lexical.labels
    result = SCORER.combine(lexical, judged(text, {Label.EMPATHY: [0.99]}))
    assert Label.EMPATHY not in result.labels
    assert Label.DISMISSIVE in result.labels


def test_kinds_follow_the_kind_heads() -> None:
    text = "I'm sorry the engineer never came. so what happened when you rang them"
    lexical = score_reply(text, "en")
    result = SCORER.combine(
        lexical, judged(text, {Label.QUESTION: [0.1, 0.9], Label.APOLOGY: [0.9, 0.1]},
                        open_p=0.9, specific_p=0.9)
    )  # fmt: skip
    assert result.question is QuestionKind.OPEN
    assert result.apology is ApologyKind.SPECIFIC


def test_heads_trained_on_another_encoder_are_refused() -> None:
    with pytest.raises(ConfigError, match="retrain them"):
        HybridScorer(HashingEncoder(), heads(encoder="some other encoder"))


def test_score_many_keeps_order_and_handles_empty_replies() -> None:
    results = SCORER.score_many(["", "I'm so sorry your parcel is late.", "   "], "en")
    assert [r.text for r in results] == ["", "I'm so sorry your parcel is late.", "   "]
    assert results[0].labels == () and results[2].labels == ()
    assert Label.APOLOGY in results[1].labels
