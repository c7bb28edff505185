"""Training the learned layer's heads, reproducibly: same data and seed, same weights.

1. The corpus rows become clause examples (``corpus.examples_of``) and are embedded.
2. Each label gets an L2-regularised logistic regression, fitted by Newton's method (exact and
   deterministic, no learning rate, no random start).
3. The thresholds of the hybrid's rules are chosen on out-of-fold predictions: the rows are
   cut into folds by the writers' batches (whole blocks of about 50 lines, so near-copies of a
   line stay on one side), a model trained without a fold predicts it, and each label's add
   and drop thresholds are the ones that maximise that label's F1 over all folds.
4. The final heads are fitted on every row.
The test split is never read here.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voicesim.core.labels import HARMFUL, LABEL_ORDER, Label, ReplyScore
from voicesim.core.scorer import score_reply as lexicon_score
from voicesim.scoring.clauses import split_clauses
from voicesim.scoring.corpus import Example, Row, examples_of, fingerprint
from voicesim.scoring.encoder import SentenceEncoder
from voicesim.scoring.heads import EXTRA_FEATURES, Heads, LogisticHead, clause_features, sigmoid

Floats = npt.NDArray[np.float64]
ADD_CANDIDATES = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9,
                  0.93, 0.95, 0.97, 0.99, 1.01)  # fmt: skip  # 1.01: never add
DROP_CANDIDATES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2)  # 0.0: never drop


@dataclass(frozen=True)
class TrainOptions:
    """How heads are trained; the defaults made the shipped heads."""

    l2: float = 128.0  # ridge penalty on the standardised weights (not the bias)
    folds: int = 5  # out-of-fold predictions for choosing thresholds
    seed: int = 13  # which writers (or blocks) go to which fold
    harmful_beta: float = 0.5  # harmful labels' thresholds maximise F-beta at this beta: a
    # move wrongly called harmful punishes an honest trainee and angers the caller, so
    # precision counts more there; helpful labels use F1
    fold_by: str = "writer"  # "writer": a fold holds out whole writers, as the test split
    # does (new people's words); "block": batches of about 50 lines of every writer
    newton_steps: int = 25


def fit_logistic(x: Floats, y: Floats, l2: float, steps: int) -> LogisticHead:
    """Newton's method on the penalised log-loss; ``x`` is standardised (no bias column)."""
    n, d = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    weights = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = sigmoid(design @ weights)
        gradient = design.T @ (p - y) + penalty * weights
        curvature = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(curvature, gradient)
        weights -= step
        if float(np.max(np.abs(step))) < 1e-7:
            break
    return LogisticHead(weights[:-1].copy(), float(weights[-1]))


def _kind_head(x: Floats, targets: list[bool | None], options: TrainOptions) -> LogisticHead:
    keep = [i for i, t in enumerate(targets) if t is not None]
    y = np.array([float(bool(targets[i])) for i in keep])
    if not keep or y.min() == y.max():
        return LogisticHead(np.zeros(x.shape[1]), 0.0)
    return fit_logistic(x[keep], y, options.l2, options.newton_steps)


@dataclass
class _Fitted:
    mean: Floats
    scale: Floats
    labels: dict[Label, LogisticHead]
    open_question: LogisticHead
    specific_apology: LogisticHead


def _fit(features: Floats, examples: Sequence[Example], options: TrainOptions) -> _Fitted:
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-6] = 1.0
    x = (features - mean) / scale
    labels = {}
    for label in LABEL_ORDER:
        known = [i for i, e in enumerate(examples) if label not in e.unknown]
        y = np.array([float(label in examples[i].labels) for i in known])
        labels[label] = fit_logistic(x[known], y, options.l2, options.newton_steps)
    return _Fitted(
        mean,
        scale,
        labels,
        _kind_head(x, [e.open_question for e in examples], options),
        _kind_head(x, [e.specific_apology for e in examples], options),
    )


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _f_beta(tp: int, fp: int, fn: int, beta: float) -> float:
    """F-score weighing recall ``beta`` times as much as precision (F1 at beta 1)."""
    b2 = beta * beta
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0


@dataclass
class OutOfFold:
    """Per row: the lexicon's result and, per label, the clause probabilities of a model that
    never saw the row's fold (clauses in ``split_clauses`` order)."""

    lexical: list[ReplyScore]
    clause_p: list[dict[Label, Floats]]


def _choose_thresholds(
    rows: list[Row], oof: OutOfFold, options: TrainOptions
) -> tuple[dict[Label, float], dict[Label, float]]:
    """Per label, the add and drop thresholds with the best out-of-fold F-score of the
    combination (F1 for helpful labels, precision-weighted for harmful ones)."""
    add: dict[Label, float] = {}
    drop: dict[Label, float] = {}
    for label in LABEL_ORDER:
        beta = options.harmful_beta if label in HARMFUL else 1.0
        # Chosen on the rows written for this corpus (with evidence) that know the label.
        chosen = [i for i, row in enumerate(rows) if row.evidence and label not in row.unknown]
        gold = [label in rows[i].labels for i in chosen]
        lex = [label in oof.lexical[i].labels for i in chosen]
        best_p = [
            float(oof.clause_p[i][label].max()) if len(oof.clause_p[i][label]) else 0.0
            for i in chosen
        ]
        held_p = [
            _lexicon_clause_p(rows[i], oof.lexical[i], oof.clause_p[i][label], label)
            for i in chosen
        ]
        best = (-1.0, 1.01, 0.0)
        for t_add in ADD_CANDIDATES:
            for t_drop in DROP_CANDIDATES:
                tp = fp = fn = 0
                for g, had, pb, ph in zip(gold, lex, best_p, held_p, strict=True):
                    got = (had and not (ph is not None and ph < t_drop)) or (
                        not had and pb >= t_add
                    )
                    tp += got and g
                    fp += got and not g
                    fn += g and not got
                score = _f_beta(tp, fp, fn, beta)
                if score > best[0] + 1e-9:
                    best = (score, t_add, t_drop)
        add[label], drop[label] = best[1], best[2]
    return add, drop


def _lexicon_clause_p(row: Row, score: ReplyScore, p: Floats, label: Label) -> float | None:
    """The best probability among the clauses that hold the lexicon's evidence for ``label``."""
    evidence = score.evidence_for(label)
    if not evidence:
        return None
    clauses = split_clauses(row.text, row.lang)
    holding = [
        i for i, c in enumerate(clauses)
        if any(c.start < e.end and e.start < c.end for e in evidence)
    ]  # fmt: skip
    return float(max(p[i] for i in holding)) if holding else None


def _embed_examples(examples: Sequence[Example], encoder: SentenceEncoder) -> Floats:
    texts = [e.text for e in examples]
    owners = [e.row for e in examples]
    langs = [e.lang for e in examples]
    return clause_features(texts, encoder.embed(texts), owners, langs).astype(np.float64)


def _fold_of_rows(rows: list[Row], options: TrainOptions) -> list[int]:
    """The fold of every row: whole writers (or whole blocks of a writer) go together, so a
    model never predicts lines whose near-copies it trained on."""

    def unit(row: Row) -> tuple[str, int]:
        return (row.writer, 0) if options.fold_by == "writer" else (row.writer, row.block)

    units = sorted({unit(row) for row in rows})
    random.Random(options.seed).shuffle(units)
    fold_of_unit = {key: index % options.folds for index, key in enumerate(units)}
    return [fold_of_unit[unit(row)] for row in rows]


def out_of_fold(
    rows: list[Row], encoder: SentenceEncoder, options: TrainOptions,
    progress: Callable[[str], None] = lambda _: None,
) -> OutOfFold:  # fmt: skip
    """Clause probabilities for every row from models that did not train on its fold."""
    examples = examples_of(rows)
    features = _embed_examples(examples, encoder)
    row_fold = _fold_of_rows(rows, options)
    example_fold = np.array([row_fold[e.row] for e in examples])
    clause_p: list[dict[Label, Floats]] = [{} for _ in rows]
    for fold in range(options.folds):
        progress(f"fold {fold + 1} of {options.folds}")
        train = np.flatnonzero(example_fold != fold)
        fitted = _fit(features[train], [examples[i] for i in train], options)
        held = [i for i, row in enumerate(rows) if row_fold[i] == fold]
        clause_texts = [[c.text for c in split_clauses(rows[i].text, rows[i].lang)] for i in held]
        flat = [t for group in clause_texts for t in group]
        owners = [i for i, group in zip(held, clause_texts, strict=True) for _ in group]
        langs = [rows[i].lang for i in owners]
        held_features = clause_features(flat, encoder.embed(flat), owners, langs).astype(np.float64)
        x = (held_features - fitted.mean) / fitted.scale
        offset = 0
        for i, group in zip(held, clause_texts, strict=True):
            part = slice(offset, offset + len(group))
            offset += len(group)
            clause_p[i] = {
                label: head.probability(x[part]) for label, head in fitted.labels.items()
            }
    lexical = [lexicon_score(row.text, row.lang) for row in rows]
    return OutOfFold(lexical, clause_p)


def train_heads(
    rows: list[Row], encoder: SentenceEncoder, options: TrainOptions | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[Heads, OutOfFold]:  # fmt: skip
    """Heads fitted on every row, with thresholds chosen out of fold."""
    from threadpoolctl import threadpool_limits

    options = options or TrainOptions()
    with threadpool_limits(limits=1):  # small solves: more BLAS threads only contend
        return _train(rows, encoder, options, progress)


def _train(
    rows: list[Row], encoder: SentenceEncoder, options: TrainOptions,
    progress: Callable[[str], None],
) -> tuple[Heads, OutOfFold]:  # fmt: skip
    progress(f"{len(rows)} replies: out-of-fold predictions")
    oof = out_of_fold(rows, encoder, options, progress)
    add, drop = _choose_thresholds(rows, oof, options)
    progress("final heads on every reply")
    examples = examples_of(rows)
    fitted = _fit(_embed_examples(examples, encoder), examples, options)
    heads = Heads(
        encoder=encoder.name,
        mean=fitted.mean,
        scale=fitted.scale,
        labels=fitted.labels,
        add_threshold=add,
        drop_threshold=drop,
        open_question=fitted.open_question,
        specific_apology=fitted.specific_apology,
        meta={
            "data": fingerprint(rows),
            "replies": len(rows),
            "clauses": len(examples),
            "seed": options.seed,
            "l2": options.l2,
            "folds": options.folds,
            "extra_features": list(EXTRA_FEATURES),
        },
    )
    return heads, oof


def _scores(gold: list[set[Label]], got: list[set[Label]]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    total = [0, 0, 0]
    for label in LABEL_ORDER:
        tp = sum(label in g and label in p for g, p in zip(gold, got, strict=True))
        fp = sum(label not in g and label in p for g, p in zip(gold, got, strict=True))
        fn = sum(label in g and label not in p for g, p in zip(gold, got, strict=True))
        total = [total[0] + tp, total[1] + fp, total[2] + fn]
        table[str(label)] = {"f1": round(_f1(tp, fp, fn), 3),
                             "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0}  # fmt: skip
    table["micro"] = {"f1": round(_f1(*total), 3),
                      "recall": round(total[0] / (total[0] + total[2]), 3) if total[0] + total[2] else 1.0}  # fmt: skip
    return table


def out_of_fold_report(rows: list[Row], oof: OutOfFold, heads: Heads) -> dict[str, object]:
    """Out-of-fold F1 per label and language: the lexicons alone, the learned layer alone
    (each clause at 0.5) and their combination by the chosen thresholds. A development figure:
    the thresholds were chosen on these very predictions, so it flatters the combination."""
    report: dict[str, object] = {}
    for lang in sorted({row.lang for row in rows}):
        index = [i for i, row in enumerate(rows) if row.lang == lang and row.evidence]
        gold = [set(rows[i].labels) for i in index]
        lexical = [set(oof.lexical[i].labels) for i in index]
        learned = [
            {label for label, p in oof.clause_p[i].items() if len(p) and p.max() >= 0.5}
            for i in index
        ]
        combined = []
        for i in index:
            got = set()
            for label in LABEL_ORDER:
                p = oof.clause_p[i][label]
                held = _lexicon_clause_p(rows[i], oof.lexical[i], p, label)
                if label in oof.lexical[i].labels:
                    if held is None or held >= heads.drop_threshold[label]:
                        got.add(label)
                elif len(p) and p.max() >= heads.add_threshold[label]:
                    got.add(label)
            combined.append(got)
        report[lang] = {
            "lexicon": _scores(gold, lexical),
            "learned": _scores(gold, learned),
            "combined": _scores(gold, combined),
        }
    return report
