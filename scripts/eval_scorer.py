"""Measure the scorers against labelled replies: per-label precision, recall and F1, per
language, both scorers side by side.

    python scripts/eval_scorer.py                      # the untouched test split, both scorers
    python scripts/eval_scorer.py --scorer lexicon --lang en
    python scripts/eval_scorer.py --set heldout        # an older set (see its README)

Data: tests/data/scorer/<set>/<lang>.jsonl, one {"text", "labels", "apology", "question"} per
line. The test split was written by writers who never saw the lexicons, the model or its
training data; never tune on it (``--errors`` is for the other sets). The last line printed
is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from voicesim.core.labels import LABEL_ORDER, ReplyScore
from voicesim.core.lexicon import SUPPORTED_LANGUAGES
from voicesim.scoring import SCORER_NAMES, scorer_named

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "scorer"


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, score


def measure(rows: list[dict[str, Any]], results: list[ReplyScore]) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = {str(label): Counter() for label in LABEL_ORDER}
    kinds: Counter[str] = Counter()
    for row, result in zip(rows, results, strict=True):
        got = {str(label) for label in result.labels}
        want = set(row["labels"])
        for label, counter in counts.items():
            counter["tp"] += label in got and label in want
            counter["fp"] += label in got and label not in want
            counter["fn"] += label not in got and label in want
        for name, value in (("apology", result.apology), ("question", result.question)):
            if name in want and name in got and row.get(name):
                kinds[f"{name}_total"] += 1
                kinds[f"{name}_right"] += str(value) == row[name]
    per_label = {}
    for label, c in counts.items():
        p, r, f = f1(c["tp"], c["fp"], c["fn"])
        per_label[label] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
                            "support": c["tp"] + c["fn"]}  # fmt: skip
    total = sum(counts.values(), Counter())
    micro = f1(total["tp"], total["fp"], total["fn"])
    return {
        "micro_precision": round(micro[0], 3),
        "micro_recall": round(micro[1], 3),
        "micro_f1": round(micro[2], 3),
        "apology_kind_accuracy": _ratio(kinds, "apology"),
        "question_kind_accuracy": _ratio(kinds, "question"),
        "exact_match": round(sum(
            {str(x) for x in r.labels} == set(row["labels"]) for row, r in zip(rows, results, strict=True)
        ) / len(rows), 3) if rows else None,
        "labels": per_label,
    }  # fmt: skip


def _ratio(kinds: Counter[str], name: str) -> float | None:
    total = kinds[f"{name}_total"]
    return round(kinds[f"{name}_right"] / total, 3) if total else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="test", help="data set folder (default: test)")
    parser.add_argument("--lang", action="append", help="language(s) to evaluate; default all")
    parser.add_argument("--scorer", choices=[*SCORER_NAMES, "both"], default="both")
    parser.add_argument("--errors", action="store_true",
                        help="print every reply scored wrongly (not on the test split)")  # fmt: skip
    args = parser.parse_args()
    if args.errors and args.set == "test":
        parser.error("--errors shows the test split's lines: reading them is tuning on them")
    names = list(SCORER_NAMES) if args.scorer == "both" else [args.scorer]
    results: list[dict[str, Any]] = []
    for lang in args.lang or SUPPORTED_LANGUAGES:
        path = DATA / args.set / f"{lang}.jsonl"
        if not path.exists():
            print(f"{path}: missing, skipped", file=sys.stderr)
            continue
        rows = [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        figures = {}
        for name in names:
            scored = scorer_named(name).score_many([row["text"] for row in rows], lang)
            figures[name] = measure(rows, scored)
            if args.errors:
                for row, result in zip(rows, scored, strict=True):
                    got = {str(x) for x in result.labels}
                    want = set(row["labels"])
                    if got != want:
                        print(f"  [{lang} {name}] {row['text']!r}\n      missing "
                              f"{sorted(want - got)} extra {sorted(got - want)}")  # fmt: skip
        results.append({"lang": lang, "replies": len(rows), "scorers": figures})
        print(f"\n{lang}: {len(rows)} replies")
        print("  " + f"{'':<14}" + "".join(f"{name + ' P/R/F1':>24}" for name in names))
        for label in [*map(str, LABEL_ORDER)]:
            cells = []
            for name in names:
                m = figures[name]["labels"][label]
                cells.append(f"{m['precision']:.2f} {m['recall']:.2f} {m['f1']:.2f}")
            support = figures[names[0]]["labels"][label]["support"]
            print(f"  {label:<14}" + "".join(f"{c:>24}" for c in cells) + f"{support:>6}")
        cells = [f"{figures[n]['micro_precision']:.3f} {figures[n]['micro_recall']:.3f} "
                 f"{figures[n]['micro_f1']:.3f}" for n in names]  # fmt: skip
        print(f"  {'micro':<14}" + "".join(f"{c:>24}" for c in cells))
        for kind in ("question_kind_accuracy", "apology_kind_accuracy"):
            print(f"  {kind:<24}" + "".join(f"{figures[n][kind]!s:>14}" for n in names))
    print(json.dumps({"set": args.set, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
